"""Readiness tells ops exactly what is wrong, never hangs, and recovers when the fault goes away."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, text

from db.engine import make_engine
from db.migrate import alembic_config, head_revision, upgrade
from services.cache.query_cache import Cache
from services.ops.readiness import ReadyState, readiness
from services.runtime.build_info import SourceCheck
from services.runtime.probes import CheckResult, CheckState, version_payload
from services.runtime.settings import Settings
from tests.services.conftest import PostgresCluster, RedisProcess

MARGIN_S = 2.0
CLEAN = SourceCheck(release="test", checked=1)
"""Other tests run services from changed source copies; here the sources are not the subject."""


@pytest.fixture
def settings(redis_server: RedisProcess) -> Settings:
    return Settings(
        redis_url=redis_server.url,
        db_connect_timeout_s=2,
        redis_connect_timeout_s=0.3,
        redis_socket_timeout_s=0.3,
        redis_retry_after_s=0.2,
    )


@pytest.fixture
def empty_db(running_pg_cluster: PostgresCluster, settings: Settings) -> Iterator[Engine]:
    """An engine on a new, empty database in the tests' own cluster."""
    url = running_pg_cluster.create_database(f"health_{uuid.uuid4().hex[:8]}")
    engine = make_engine(settings, url=url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_db: Engine) -> Engine:
    upgrade(empty_db)
    return empty_db


def _check(result_checks: list[CheckResult], name: str) -> CheckResult:
    return next(check for check in result_checks if check.name == name)


def test_a_migrated_database_with_redis_and_clean_sources_is_ready(engine: Engine, settings: Settings) -> None:
    result = readiness(engine=engine, settings=settings, cache=Cache(settings), sources=CLEAN)
    assert result.status is ReadyState.READY, result.model_dump_json()
    assert [check.name for check in result.checks] == ["database", "schema", "redis", "sources"]


def test_postgres_stopped_mid_test_fails_readiness_clearly_then_recovers_without_restart(
    engine: Engine, settings: Settings, running_pg_cluster: PostgresCluster
) -> None:
    cache = Cache(settings)
    assert readiness(engine=engine, settings=settings, cache=cache, sources=CLEAN).ready

    running_pg_cluster.stop()
    started = time.monotonic()
    down = readiness(engine=engine, settings=settings, cache=cache, sources=CLEAN)
    assert time.monotonic() - started < settings.db_connect_timeout_s + MARGIN_S
    assert down.status is ReadyState.UNAVAILABLE and "database" in down.failing
    assert _check(down.checks, "database").detail.startswith("database unavailable:")

    running_pg_cluster.start()
    back = readiness(engine=engine, settings=settings, cache=cache, sources=CLEAN)
    assert back.ready, back.model_dump_json()


def test_an_empty_database_fails_readiness_naming_the_head_and_the_fix(empty_db: Engine, settings: Settings) -> None:
    result = readiness(engine=empty_db, settings=settings, cache=Cache(settings), sources=CLEAN)
    schema = _check(result.checks, "schema")
    assert schema.state is CheckState.FAILING
    assert head_revision() in schema.detail and "glance db upgrade" in schema.detail


def test_a_schema_newer_than_the_code_fails_readiness_naming_both_revisions(engine: Engine, settings: Settings) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    result = readiness(engine=engine, settings=settings, cache=Cache(settings), sources=CLEAN)
    schema = _check(result.checks, "schema")
    assert result.status is ReadyState.UNAVAILABLE and result.failing == ["schema"]
    assert "9999_future" in schema.detail and head_revision() in schema.detail


def test_readiness_says_migrating_while_an_alembic_migration_runs(engine: Engine, settings: Settings) -> None:
    # A real Alembic run inside a transaction we hold open stands for `glance db upgrade` mid-way.
    with engine.connect() as migrator:
        transaction = migrator.begin()
        config = alembic_config(engine)
        config.attributes["connection"] = migrator
        command.downgrade(config, "base")
        try:
            during = readiness(engine=engine, settings=settings, cache=Cache(settings), sources=CLEAN)
        finally:
            transaction.rollback()
    assert during.status is ReadyState.MIGRATING, during.model_dump_json()
    assert during.failing == ["schema"] and _check(during.checks, "schema").state is CheckState.MIGRATING
    assert readiness(engine=engine, settings=settings, cache=Cache(settings), sources=CLEAN).ready


def test_redis_down_fails_readiness_naming_redis_and_recovers(
    engine: Engine, settings: Settings, redis_server: RedisProcess
) -> None:
    cache = Cache(settings)
    redis_server.stop()
    down = readiness(engine=engine, settings=settings, cache=cache, sources=CLEAN)
    assert down.failing == ["redis"] and "redis unavailable" in _check(down.checks, "redis").detail
    redis_server.start()
    assert readiness(engine=engine, settings=settings, cache=cache, sources=CLEAN).ready


def test_without_redis_configured_the_redis_check_is_skipped(engine: Engine) -> None:
    embedded = Settings(redis_url="")
    result = readiness(engine=engine, settings=embedded, cache=Cache(embedded), sources=CLEAN)
    assert result.ready and _check(result.checks, "redis").state is CheckState.SKIPPED


def test_version_payload_reports_the_release_and_the_live_database(engine: Engine) -> None:
    payload = version_payload(service="sync", engine=engine)
    assert payload.schema_revision == head_revision() and payload.schema_at_head
    assert payload.data_version == 0 and not payload.migrating and payload.revision
    assert payload.started_at.tzinfo is not None and payload.build_time.tzinfo is not None
