"""Schemathesis against the sync service's own OpenAPI schema, in process, with an admin token.

Every operation gets generated requests (valid and invalid); no answer may be a 5xx and every
answer must match the schema. Bounded by the example count; a longer local run:
`GLANCE_SCHEMA_EXAMPLES=500 .venv/bin/pytest tests/hardening/test_api_schema.py`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from db.migrate import upgrade
from services.auth import create_token
from services.runtime.database import get_engine, session_scope
from services.runtime.settings import Settings, get_settings
from services.sync.app import create_app
from tests.sync.conftest import sales_rows, write_csv

EXAMPLES = int(os.environ.get("GLANCE_SCHEMA_EXAMPLES", "40"))


@pytest.fixture(scope="module")
def admin_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An embedded database with one import run and an admin token; the process settings point at it."""
    root = tmp_path_factory.mktemp("schema")
    saved = {k: os.environ.get(k) for k in ("GLANCE_DATABASE_URL", "GLANCE_DATA_DIR", "GLANCE_REDIS_URL")}
    os.environ.update(
        GLANCE_DATABASE_URL=f"sqlite:///{root / 'glance.db'}", GLANCE_DATA_DIR=str(root), GLANCE_REDIS_URL=""
    )
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(get_engine())
    with session_scope() as session:
        token = create_token(session, name="schemathesis", role="admin")
    from services.imports import run_import

    run_import(
        get_engine(), kind="sales", file=write_csv(Path(root) / "seed.csv", sales_rows(5)), settings=get_settings()
    )
    yield token
    get_engine().dispose()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    get_engine.cache_clear()


# Requests reach the database through the process settings, which `admin_token` points at its own;
# the app's own settings only say where uploads are spooled.
APP = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="glance-schema-"))))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_5xx_and_every_answer_matches_the_schema(case: schemathesis.Case, admin_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
