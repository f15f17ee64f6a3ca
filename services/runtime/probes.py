"""What a service reports about itself: the database and schema probe, the code check, and `/version`.

Each check returns a typed result naming what is wrong; none raises and none waits longer than
its timeout. While an Alembic migration holds the schema, the schema check says "migrating" rather
than failing, so ops can tell an upgrade in progress from a fault. `services.ops.readiness` adds
Redis and data freshness to make `/readyz`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import structlog
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.data_version import current_data_version
from db.migrate import SchemaStatus, head_revision
from db.types import utcnow
from services.runtime import metrics
from services.runtime.build_info import BuildOrigin, SourceCheck, current_build, verify_sources

PROCESS_STARTED = utcnow()
"""When this process loaded the health module, i.e. service start."""
CHECK_STATEMENT_TIMEOUT_MS = 2000
CHECK_LOCK_TIMEOUT_MS = 1000

log = structlog.get_logger(__name__)

# A migration runs in one transaction that read alembic_version at its start (so it still holds a
# lock on that table) and takes ACCESS EXCLUSIVE locks for its DDL, or has already stamped the new
# revision (ROW EXCLUSIVE on alembic_version). Another backend holding both is an upgrade in progress.
_MIGRATING_SQL = text(
    """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks held
        WHERE held.pid <> pg_backend_pid() AND held.granted AND held.locktype = 'relation'
          AND held.pid IN (SELECT pid FROM pg_locks WHERE relation = to_regclass('alembic_version'))
          AND (held.mode = 'AccessExclusiveLock'
               OR (held.relation = to_regclass('alembic_version') AND held.mode = 'RowExclusiveLock'))
    )
    """
)


class CheckState(StrEnum):
    OK = "ok"
    FAILING = "failing"
    MIGRATING = "migrating"
    SKIPPED = "skipped"


class CheckResult(BaseModel):
    """One readiness check: its name, state and a line saying what was found."""

    model_config = ConfigDict(frozen=True)

    name: str
    state: CheckState
    detail: str

    @property
    def passed(self) -> bool:
        return self.state in (CheckState.OK, CheckState.SKIPPED)


@dataclass(frozen=True)
class DatabaseProbe:
    """What one short connection learned about the database."""

    error: str = ""
    migrating: bool = False
    schema: SchemaStatus | None = None
    data_version: int | None = None


def probe_database(engine: Engine) -> DatabaseProbe:
    """Connect once, with short timeouts, and read migration state, schema revision and data version."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL statement_timeout = {CHECK_STATEMENT_TIMEOUT_MS}"))
                connection.execute(text(f"SET LOCAL lock_timeout = {CHECK_LOCK_TIMEOUT_MS}"))
                if connection.execute(_MIGRATING_SQL).scalar_one():
                    return DatabaseProbe(migrating=True)
            return _read_schema(connection)
    except SQLAlchemyError as exc:
        return DatabaseProbe(error=_first_line(exc))


def _read_schema(connection: Connection) -> DatabaseProbe:
    from alembic.runtime.migration import MigrationContext  # imported on first probe: see db.migrate

    revision = MigrationContext.configure(connection).get_current_revision()
    schema = SchemaStatus(code_head=head_revision(), database=revision)
    version = current_data_version(Session(bind=connection)) if schema.at_head else None
    return DatabaseProbe(schema=schema, data_version=version)


def _first_line(exc: SQLAlchemyError) -> str:
    return str(exc.__cause__ or exc).strip().splitlines()[0]


def database_checks(probe: DatabaseProbe) -> list[CheckResult]:
    """The `database` and `schema` checks from one probe."""
    if probe.migrating:
        detail = "a schema migration is in progress"
        return [
            CheckResult(name="database", state=CheckState.OK, detail="reachable"),
            CheckResult(name="schema", state=CheckState.MIGRATING, detail=detail),
        ]
    if probe.error or probe.schema is None:
        return [
            CheckResult(name="database", state=CheckState.FAILING, detail=f"database unavailable: {probe.error}"),
            CheckResult(name="schema", state=CheckState.FAILING, detail="unknown: database unavailable"),
        ]
    schema_state = CheckState.OK if probe.schema.at_head else CheckState.FAILING
    return [
        CheckResult(name="database", state=CheckState.OK, detail="reachable"),
        CheckResult(name="schema", state=schema_state, detail=probe.schema.describe()),
    ]


def sources_check(check: SourceCheck | None = None) -> CheckResult:
    """The code on disk matches the release manifest, file by file."""
    check = check or verify_sources()
    return CheckResult(name="sources", state=CheckState.OK if check.ok else CheckState.FAILING, detail=check.describe())


class VersionPayload(BaseModel):
    """`GET /version`: the release manifest plus what is live in this process and its database."""

    service: str
    version: str
    revision: str
    release: str
    build_time: datetime
    alembic_head: str
    digest: str
    origin: BuildOrigin
    digest_ok: bool
    digest_problems: list[str]
    schema_revision: str | None
    schema_at_head: bool
    data_version: int | None
    migrating: bool
    database_error: str
    started_at: datetime


def version_payload(*, service: str, engine: Engine) -> VersionPayload:
    """The manifest and the live facts: digest check, schema revision, data version, start time."""
    build = current_build()
    check = verify_sources(build)
    probe = probe_database(engine)
    return VersionPayload(
        service=service,
        version=build.version,
        revision=build.revision,
        release=build.release,
        build_time=build.build_time,
        alembic_head=build.alembic_head,
        digest=build.digest,
        origin=build.origin,
        digest_ok=check.ok,
        digest_problems=[problem.describe() for problem in check.problems],
        schema_revision=probe.schema.database if probe.schema else None,
        schema_at_head=bool(probe.schema and probe.schema.at_head),
        data_version=probe.data_version,
        migrating=probe.migrating,
        database_error=probe.error,
        started_at=PROCESS_STARTED,
    )


def startup_check(*, service: str) -> SourceCheck:
    """Verify the imported sources at service start and publish the build; never raises on a mismatch."""
    started = time.perf_counter()
    build = current_build()
    check = verify_sources(build)
    metrics.record_build(service=service, build=build, digest_ok=check.ok)
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    if check.ok:
        log.info("sources match the release", service=service, release=check.release, ms=elapsed_ms)
    else:
        log.error("sources differ from the release", service=service, detail=check.describe(), ms=elapsed_ms)
    return check
