# The two set-up commands of the README. Each creates .venv on first use and installs from the
# locks in requirements/ (exact versions with hashes; deploy/lock updates them on purpose).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Only what the locks name, checked against their hashes; Glance itself is built with the locked setuptools.
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes --no-deps
PIP_GLANCE := $(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

.PHONY: demo test lint install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements/app.txt pyproject.toml setup.py | $(BIN)/python
	$(PIP_LOCKED) -r requirements/app.txt
	$(PIP_GLANCE)
	touch $@

$(VENV)/.installed-test: requirements/test.txt pyproject.toml setup.py | $(BIN)/python
	$(PIP_LOCKED) -r requirements/test.txt
	$(PIP_GLANCE)
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Install and run Glance on its embedded default (SQLite, in-process cache): no Docker needed.
demo: install
	$(BIN)/glance demo

## Style, formatting, the import layers and types; the test command runs it first, so CI does.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## Install and run the whole test suite (Postgres and Redis on 127.0.0.1 are used when running).
test: install-test lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .glance .pytest_cache
