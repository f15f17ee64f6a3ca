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
from sqlmodel import col, select

from db.engine import make_engine, session_scope
from db.migrate import upgrade
from db.models import ApiToken
from db.scope import Scope
from services.auth import create_token, set_scope
from services.imports import run_import
from services.runtime.settings import Settings
from services.sync.api.deps import get_app_engine, get_app_settings
from services.sync.app import create_app
from tests.sync.conftest import sales_rows, write_csv

EXAMPLES = int(os.environ.get("GLANCE_SCHEMA_EXAMPLES", "40"))

# Built at import, because schemathesis reads the schema then; `admin_token` points it at its database.
APP = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="glance-schema-"))))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def admin_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An embedded database with one import run and an admin token on every territory, served by `APP`."""
    root = tmp_path_factory.mktemp("schema")
    app_settings = Settings(database_url=f"sqlite:///{root / 'glance.db'}", data_dir=root, redis_url="")
    engine = make_engine(app_settings)
    upgrade(engine)
    with session_scope(engine) as session:
        token = create_token(session, name="schemathesis", role="admin")
        stored = session.execute(select(ApiToken).where(col(ApiToken.name) == "schemathesis")).scalar_one()
        set_scope(session, Scope.everything(), token=stored)
    seed = write_csv(root / "seed.csv", sales_rows(5))
    run_import(engine, kind="sales", file=seed, scope=Scope.everything(), settings=app_settings)
    APP.dependency_overrides[get_app_settings] = lambda: app_settings
    APP.dependency_overrides[get_app_engine] = lambda: engine
    yield token
    APP.dependency_overrides.clear()
    engine.dispose()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_5xx_and_every_answer_matches_the_schema(case: schemathesis.Case, admin_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
