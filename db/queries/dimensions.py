"""What the data holds: territories, channels and categories seen, and the dates it covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from db.data_version import current_data_version
from db.models import ImportRun, OperatingExpense, SalesDaily, table_of
from db.scope import Scope

_daily = table_of(SalesDaily)
_opex = table_of(OperatingExpense)
_runs = table_of(ImportRun)


@dataclass(frozen=True)
class Dimensions:
    """Every value present in the data (never a list written in code) and the data's date span."""

    territories: tuple[str, ...]
    channels: tuple[str, ...]
    categories: tuple[str, ...]
    first_day: date | None
    last_day: date | None
    last_import_at: datetime | None
    data_version: int


def dimensions(session: Session, *, scope: Scope) -> Dimensions:
    """The scope's territories (from sales and expenses), channels, categories, date span, and freshness."""
    mine = scope.where(_daily.c.territory)
    territories = session.execute(
        union(
            select(_daily.c.territory).where(mine), select(_opex.c.territory).where(scope.where(_opex.c.territory))
        ).order_by("territory")
    ).scalars()
    channels = session.execute(select(_daily.c.channel).where(mine).distinct().order_by(_daily.c.channel)).scalars()
    categories = session.execute(select(_daily.c.category).where(mine).distinct().order_by(_daily.c.category)).scalars()
    first_day, last_day = session.execute(select(func.min(_daily.c.day), func.max(_daily.c.day)).where(mine)).one()
    last_import = session.execute(
        select(func.max(_runs.c.finished_at)).where(_runs.c.status == "succeeded")
    ).scalar_one()
    return Dimensions(
        territories=tuple(territories),
        channels=tuple(channels),
        categories=tuple(categories),
        first_day=first_day,
        last_day=last_day,
        last_import_at=last_import,
        data_version=current_data_version(session),
    )
