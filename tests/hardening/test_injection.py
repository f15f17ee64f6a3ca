"""SQL injection attempts in every filter, sort and mapping parameter are data: kept literally, tables intact.

Run on SQLite and Postgres. Each test plants an attempt where a user can type it (API form
fields, column headers and mapping, CLI report options, dashboard filters from the URL) and
checks that the text comes back exactly as typed and that every table still holds its rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text

from dashboard.store import DataStore
from dashboard.text import Translator
from db.queries import Dimension
from db.queries.pnl import PnlDimension
from db.queries.scoring import Thresholds
from db.scope import Scope
from services.auth import create_token
from services.cache.query_cache import get_cache
from services.runtime.database import session_scope
from services.runtime.settings import Settings
from services.sync.app import create_app
from tests.sync.conftest import sales_rows, write_csv

ATTEMPTS = [
    "UK'; DROP TABLE sales_line; --",
    "x' OR '1'='1",
    'x" OR "1"="1',
    "1; DELETE FROM import_run",
    "') UNION SELECT username, password_hash FROM app_user --",
    "%' --",
    "\\'; TRUNCATE data_version; --",
    '=HYPERLINK("http://evil.example")',
    "@SUM(1)'; --",
    "[/bold]'; --",
]


@pytest.fixture
def client(glance_env: Settings) -> Iterator[TestClient]:
    get_cache.cache_clear()
    with TestClient(create_app(glance_env)) as test_client:
        yield test_client
    get_cache.cache_clear()


def _analyst() -> dict[str, str]:
    with session_scope() as session:
        return {"Authorization": f"Bearer {create_token(session, name='injector', role='analyst')}"}


def _tables(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in inspect(conn).get_table_names()
        }


def _import_attempts(client: TestClient, tmp_path: Path, headers: dict[str, str]) -> dict[str, object]:
    rows = sales_rows(len(ATTEMPTS))
    for row, attempt in zip(rows, ATTEMPTS, strict=True):
        row["territory"] = row["channel"] = row["product"] = attempt
    # The territory column's header is itself an attempt, adapted with a mapping.
    header_attempt = "Region'); DROP TABLE app_user; --"
    renamed = [{(header_attempt if k == "territory" else k): v for k, v in row.items()} for row in rows]
    file = write_csv(tmp_path / "attempts.csv", renamed)
    with file.open("rb") as handle:
        response = client.post(
            "/api/v1/imports/sales",
            headers=headers,
            files={"file": ("x'; DROP TABLE import_run; --.csv", handle, "text/csv")},
            data={"mapping": json.dumps({"territory": header_attempt}), "source": ATTEMPTS[0]},
        )
    assert response.status_code == 200, response.text
    return response.json()


def test_attempts_in_api_fields_headers_and_mapping_are_stored_literally(
    client: TestClient, tmp_path: Path, backend_engine: Engine
) -> None:
    headers = _analyst()
    report = _import_attempts(client, tmp_path, headers)
    assert report["status"] == "succeeded" and report["inserted"] == len(ATTEMPTS)
    assert report["source"] == ATTEMPTS[0] and report["filename"] == "x'; DROP TABLE import_run; --.csv"
    with backend_engine.connect() as conn:
        stored = {r[0] for r in conn.execute(text("SELECT territory FROM sales_line"))}
        channels = {r[0] for r in conn.execute(text("SELECT channel FROM sales_line"))}
        sources = {r[0] for r in conn.execute(text("SELECT DISTINCT source FROM sales_line"))}
    assert stored == set(ATTEMPTS) and channels == set(ATTEMPTS) and sources == {ATTEMPTS[0]}
    tables = _tables(backend_engine)
    assert tables["sales_line"] == len(ATTEMPTS) and tables["import_run"] == 1 and tables["api_token"] == 1
    assert tables["data_version"] == 1


@pytest.mark.parametrize("limit", ["1; DROP TABLE import_run", "1 OR 1=1", "-1"])
def test_attempts_in_query_parameters_are_refused_or_clamped(
    client: TestClient, limit: str, backend_engine: Engine
) -> None:
    headers = _analyst()
    response = client.get("/api/v1/imports", params={"limit": limit}, headers=headers)
    assert response.status_code in (200, 422)
    assert client.get("/api/v1/imports/1%20OR%201=1", headers=headers).status_code == 422
    assert "import_run" in _tables(backend_engine)


def test_attempts_as_dashboard_filters_match_nothing_or_exactly_themselves(
    client: TestClient, tmp_path: Path, backend_engine: Engine
) -> None:
    _import_attempts(client, tmp_path, _analyst())
    before = _tables(backend_engine)
    store = DataStore(
        scope=Scope.everything(),
        engine=backend_engine,
        thresholds=Thresholds(),
        tr=Translator("en"),
        today=date(2025, 3, 31),
    )
    store.period = "custom"
    store.start, store.end = date(2025, 1, 1), date(2025, 12, 31)
    for attempt in ATTEMPTS:
        store.territory = attempt
        store.channel = attempt
        rows = store.sales(Dimension.TERRITORY).rows
        assert [row.key for row in rows] == [attempt], "the attempt matched only the line that holds it"
    store.territory, store.channel = "UK' OR '1'='1", ""
    assert store.sales(Dimension.TERRITORY).rows == ()
    assert store.pnl(PnlDimension.TERRITORY).rows == ()
    assert _tables(backend_engine) == before


def test_attempts_as_cli_report_options_are_data_or_usage_errors(
    glance_env: Settings, client: TestClient, tmp_path: Path, backend_engine: Engine
) -> None:
    _import_attempts(client, tmp_path, _analyst())
    before = _tables(backend_engine)
    env = {**os.environ, "COLUMNS": "300"}

    def report(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services", "report", *args], env=env, capture_output=True, text=True, timeout=120
        )

    for attempt in ATTEMPTS:
        found = report("sales", "--by", "territory", "--territory", attempt, "--format", "json")
        assert found.returncode == 0, found.stderr
        assert [row["key"] for row in json.loads(found.stdout)["rows"]] == [attempt]
    assert report("sales", "--by", "territory; DROP TABLE sales_line").returncode == 2
    assert report("sales", "--by", "territory", "--from", "2025-01-01' OR '1'='1").returncode == 2
    table = report("sales", "--by", "territory")
    assert table.returncode == 0 and "DROP TABLE sales_line" in table.stdout  # shown as text, markup and all
    as_csv = report("sales", "--by", "channel", "--format", "csv")
    lines = as_csv.stdout.splitlines()
    assert as_csv.returncode == 0 and len(lines) == len(ATTEMPTS) + 2
    # Names that a spreadsheet would run as formulas are written with a leading apostrophe.
    assert not [line for line in lines if line.lstrip('"').startswith(("=", "+", "-", "@"))]
    assert any(line.startswith("\"'=HYPERLINK(") for line in lines)
    assert _tables(backend_engine) == before
