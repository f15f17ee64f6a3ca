# The two set-up commands of the README. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Install and run Glance on its embedded default (SQLite, in-process cache): no Docker needed.
demo: install
	$(BIN)/glance demo

## Install and run the whole test suite (Postgres and Redis on 127.0.0.1 are used when running).
test: install-test
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .glance .pytest_cache
