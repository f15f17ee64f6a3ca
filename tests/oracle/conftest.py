"""One seeded business per session, imported with `glance import` into a fresh SQLite and Postgres database.

`GLANCE_ORACLE_SEED` replays a run; without it every session draws a new seed, which the failure
messages name. The CLI runs in process (Typer's runner): the process-wide settings, engine and query
cache are reset whenever the database it points at changes, so one backend's cached figures can
never answer for the other's.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cache.query_cache import get_cache
from services.cli import db as db_commands
from services.cli import imports as import_commands
from services.cli import report as report_commands
from services.runtime.database import get_engine
from services.runtime.settings import get_settings
from tests.conftest import throwaway_pg_database
from tests.oracle.cases import Case, make_cases
from tests.oracle.dataset import Business, make_business
from tests.oracle.files import ERP_MAPPING, Files, write_files
from tests.oracle.ledger import Ledger, make_ledger

SEED_VARIABLE = "GLANCE_ORACLE_SEED"
README_DEFAULTS = {
    "GLANCE_REPORTING_CURRENCY": "GBP",
    "GLANCE_HEALTH_ON_TRACK_RATIO": "0.98",
    "GLANCE_HEALTH_WATCH_RATIO": "0.90",
    "GLANCE_HEALTH_OFF_TRACK_SHARE": "0.25",
    "GLANCE_REDIS_URL": "",
}
"""Settings the oracle's rules assume, set explicitly so neither the environment nor a `.env` file changes them."""


@dataclass(frozen=True)
class World:
    """This session's business, the files it was written to, the oracle's ledger and the cases to check."""

    seed: int
    business: Business
    files: Files
    ledger: Ledger
    cases: list[Case]

    def replay(self) -> str:
        """How to run this session's data again."""
        return f"{SEED_VARIABLE}={self.seed} .venv/bin/pytest tests/oracle"


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The seeded business of this session."""
    seed = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(1, 10**9))
    business = make_business(seed)
    files = write_files(business, tmp_path_factory.mktemp("oracle-files"))
    ledger = make_ledger(business)
    print(f"oracle seed {seed}: {len(business.sales)} sales lines, replay with {SEED_VARIABLE}={seed}")
    return World(seed=seed, business=business, files=files, ledger=ledger, cases=make_cases(ledger, seed))


def _reset_process_state() -> None:
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_cache.cache_clear()


@contextmanager
def pointed_at(url: str, data_dir: Path) -> Iterator[None]:
    """Point the in-process `glance` at one database, with the README's default settings."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GLANCE_DATABASE_URL", url)
        patch.setenv("GLANCE_DATA_DIR", str(data_dir))
        for name, value in README_DEFAULTS.items():
            patch.setenv(name, value)
        _reset_process_state()
        try:
            yield
        finally:
            _reset_process_state()


GROUPS = {"db": db_commands.app, "import": import_commands.app, "report": report_commands.app}
"""`glance`'s command groups, invoked directly: Typer rebuilds the whole command tree on every
invocation of the top-level app, which would cost more than most reports take."""


def _invoke(group: str, *args: str) -> str:
    """Run `glance GROUP ARGS` in process; its standard output."""
    result = CliRunner().invoke(GROUPS[group], list(args))
    assert result.exit_code == 0, f"glance {group} {' '.join(args)} exited {result.exit_code}: {result.output}"
    return result.stdout


def run_glance(group: str, *args: str) -> dict[str, Any]:
    """Run `glance GROUP ARGS --format json` in process and return its JSON."""
    return json.loads(_invoke(group, *args, "--format", "json"))


@dataclass
class Glance:
    """One backend's database holding this session's imports; reports are run once and remembered."""

    backend: str
    url: str
    data_dir: Path
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    _seen: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)

    def report(self, *args: str) -> dict[str, Any]:
        """`glance report ARGS --format json` (the database does not change after the imports)."""
        if args not in self._seen:
            self._seen[args] = run_glance("report", *args)
        return self._seen[args]


def _import_everything(files: Files) -> dict[str, dict[str, Any]]:
    steps = {
        "rates": ("fx-rates", str(files.rates)),
        "shop": ("sales", str(files.shop), "--source", "shop"),
        "erp": ("sales", str(files.erp), "--source", "erp", *(a for m in ERP_MAPPING for a in ("--map", m))),
        "expenses": ("expenses", str(files.expenses)),
        "targets": ("targets", str(files.targets)),
        "revised_rates": ("fx-rates", str(files.revised_rates)),
    }
    return {name: run_glance("import", *args) for name, args in steps.items()}


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'glance.db'}"
    else:
        with throwaway_pg_database() as url:
            yield url


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def imported(
    request: pytest.FixtureRequest, world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Glance]:
    """A fresh database per backend, migrated and loaded with `glance import` in the business's order."""
    folder = tmp_path_factory.mktemp(f"oracle-{request.param}")
    with _database(request.param, folder) as url:
        glance = Glance(backend=request.param, url=url, data_dir=folder / "data")
        with pointed_at(url, glance.data_dir):
            _invoke("db", "upgrade")
            glance.imports = _import_everything(world.files)
        yield glance


@pytest.fixture
def glance(imported: Glance) -> Iterator[Glance]:
    """The backend's database, with the in-process `glance` pointed at it for this test."""
    with pointed_at(imported.url, imported.data_dir):
        yield imported
