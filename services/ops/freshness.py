"""How fresh the data is: the age of the newest imported data per import kind and per source.

"Newest data" is the finish time of the newest successful import run (file or pull) that read
rows; a pull that found nothing new does not make data fresher. Each kind and source may have an
expected freshness (`GLANCE_FRESHNESS_HOURS`, or `freshness:` in the sources file); older is stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import structlog
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session
from sqlmodel import col

from db.models import ImportRun
from db.types import utcnow
from services.contracts.report import ImportKind, RunStatus
from services.runtime.settings import Settings
from services.sources.config import SourcesFile, load_sources
from services.sources.errors import SourceConfigError

DATA_KINDS = [kind.value for kind in ImportKind if kind is not ImportKind.users]
log = structlog.get_logger(__name__)


class FreshnessItem(BaseModel):
    """One import kind or source: when its newest data came, how old that is, and whether that is late."""

    model_config = ConfigDict(frozen=True)

    subject: Literal["kind", "source"]
    name: str
    newest_at: datetime | None
    age_s: float | None
    expected_s: float | None
    stale: bool

    def describe(self) -> str:
        """One line for people: `sales: newest data 3.2 h old (expected within 26 h) - stale`."""
        age = f"newest data {self.age_s / 3600:.1f} h old" if self.age_s is not None else "no data yet"
        expected = f" (expected within {self.expected_s / 3600:g} h)" if self.expected_s is not None else ""
        return f"{self.subject} {self.name}: {age}{expected}{' - stale' if self.stale else ''}"


def data_freshness(
    session: Session, *, settings: Settings, sources: SourcesFile, now: datetime | None = None
) -> list[FreshnessItem]:
    """Freshness of every import kind with data or an expectation, and of every declared source."""
    now = now or utcnow()
    newest_kind = _newest(session, col(ImportRun.kind))
    newest_source = _newest(session, col(ImportRun.source))
    expected = {name: timedelta(hours=hours) for name, hours in settings.freshness_hours.items()}
    kinds = [kind for kind in DATA_KINDS if kind in newest_kind or kind in expected]
    source_expected = {s.name: expected.get(s.name, s.expected_freshness) for s in sources.sources}
    source_expected |= {name: limit for name, limit in expected.items() if name not in DATA_KINDS}
    return [
        *(_item("kind", kind, newest_kind.get(kind), expected.get(kind), now) for kind in kinds),
        *(_item("source", name, newest_source.get(name), limit, now) for name, limit in source_expected.items()),
    ]


def freshness_now(engine: Engine, *, settings: Settings) -> list[FreshnessItem]:
    """`data_freshness` for readiness and metrics: a bad sources file or a database error gives what it can."""
    try:
        sources = load_sources(settings.sources_file)
    except SourceConfigError as exc:
        log.warning("sources file unreadable; freshness shows import kinds only", error=str(exc))
        sources = SourcesFile()
    try:
        with Session(engine) as session:
            return data_freshness(session, settings=settings, sources=sources)
    except SQLAlchemyError as exc:
        log.warning("freshness unavailable", error=str(exc).splitlines()[0])
        return []


def _newest(session: Session, column: Mapped[str]) -> dict[str, datetime]:
    rows = session.execute(
        select(column, func.max(ImportRun.finished_at))
        .where(
            col(ImportRun.status) == RunStatus.succeeded.value,
            col(ImportRun.rows_read) > 0,
            # A dry run reads rows but stores none; runs.save_report writes details with json.dumps.
            col(ImportRun.details).not_like('%"dry_run": true%'),
        )
        .group_by(column)
    ).all()
    return {name: newest for name, newest in rows if newest is not None}


def _item(
    subject: Literal["kind", "source"], name: str, newest: datetime | None, expected: timedelta | None, now: datetime
) -> FreshnessItem:
    age = (now - newest).total_seconds() if newest is not None else None
    limit = expected.total_seconds() if expected is not None else None
    stale = limit is not None and (age is None or age > limit)
    return FreshnessItem(subject=subject, name=name, newest_at=newest, age_s=age, expected_s=limit, stale=stale)
