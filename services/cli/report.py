"""`glance report sales|pnl|kpis`: the same figures the dashboard shows, from `db.queries`."""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from db import queries
from db.data_version import current_data_version
from services.cache.query_cache import cached_query
from services.cli.output import fail, stdout
from services.imports.rejected_csv import neutralise
from services.runtime.database import get_engine
from services.runtime.settings import get_settings

app = typer.Typer(help="Print business figures (the same numbers the dashboard shows).", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class SalesBy(StrEnum):
    territory = "territory"
    channel = "channel"
    category = "category"
    product = "product"
    month = "month"
    year = "year"


class PnlBy(StrEnum):
    territory = "territory"
    month = "month"


FROM = typer.Option(None, "--from", help="First day (YYYY-MM-DD); default: the first day with data.")
TO = typer.Option(None, "--to", help="Last day (YYYY-MM-DD); default: the last day with data.")
TERRITORY = typer.Option(None, "--territory", help="Only this territory.")
FORMAT = typer.Option(Format.table, "--format", help="table, json or csv.")


def _text(value: object) -> object:
    """JSON-safe values: money and ratios as exact decimal strings, dates as ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _range(session: Session, start: date | None, end: date | None) -> tuple[date, date]:
    if start and end:
        return start, end
    found = queries.dimensions(session, scope=queries.Scope.everything())
    if found.first_day is None or found.last_day is None:
        fail(
            "there is no sales data yet", fix="import a sales file with `glance import sales FILE` or run `glance demo`"
        )
    return start or found.first_day, end or found.last_day


def _session() -> Session:
    return Session(get_engine())


def _emit(payload: dict[str, Any], columns: list[str], rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    if fmt is Format.json:
        stdout.print_json(json.dumps(payload, default=_text))
    elif fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in [*rows, payload["total"]] if payload["total"] else rows:
            # Keys are names from imported files: a leading = + - @ must not become a spreadsheet formula.
            writer.writerow({k: neutralise(str(_text(v))) if k == "key" else _text(v) for k, v in row.items()})
    else:
        table = Table(title=title, show_footer=bool(payload["total"]))
        total = payload["total"]
        for column in columns:
            numeric = column not in ("key", "coverage")
            table.add_column(column, footer=str(_text(total.get(column, ""))), justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*(escape(f"{_text(row[c])}") for c in columns))
        stdout.print(table)


def _guard(func: Any) -> Any:
    """Turn a database outage into one clear line instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            fail(f"database unavailable: {str(exc.orig or exc).splitlines()[0]}", fix="check GLANCE_DATABASE_URL")

    return wrapper


SALES_COLUMNS = ["key", "net_revenue", "cogs", "gross_margin", "units", "orders"]
PNL_COLUMNS = ["key", "net_revenue", "cogs", "gross_margin", "opex", "operating_profit"]


def _pick(row: object, columns: list[str]) -> dict[str, Any]:
    return {column: getattr(row, column) for column in columns}


def _table_report(
    name: str,
    label: str,
    query: Callable[..., queries.Breakdown | queries.PnlReport],
    *,
    by: StrEnum,
    start: date | None,
    end: date | None,
    territory: str | None,
    columns: list[str],
    fmt: Format,
    params: dict[str, Any],
) -> None:
    """Run one grouped query through the cache over the requested (or whole data) range and print it."""
    with _session() as session:
        first, last = _range(session, start, end)
        result = cached_query(
            session, query.__name__, query, by=by, start=first, end=last, scope=queries.Scope.everything(), **params
        )
        version = current_data_version(session)
    rows = [_pick(row, columns) for row in result.rows]
    payload = {
        "report": name,
        "by": by.value,
        "from": first,
        "to": last,
        "territory": territory,
        "currency": get_settings().reporting_currency,
        "data_version": version,
        "rows": rows,
        "total": _pick(result.total, columns),
    }
    _emit(payload, columns, rows, fmt, f"{label} by {by.value}, {first} to {last}")


@app.command("sales")
@_guard
def sales(
    by: SalesBy = typer.Option(..., "--by", help="territory, channel, category, product, month or year."),
    start: date | None = FROM,
    end: date | None = TO,
    territory: str | None = TERRITORY,
    fmt: Format = FORMAT,
) -> None:
    """Net revenue, COGS, gross margin, units and orders by one dimension."""
    _table_report(
        "sales",
        "Sales",
        queries.sales_breakdown,
        by=queries.Dimension(by.value),
        start=start,
        end=end,
        territory=territory,
        columns=SALES_COLUMNS,
        fmt=fmt,
        params={"filters": queries.Filters(territory=territory)},
    )


@app.command("pnl")
@_guard
def pnl(
    by: PnlBy = typer.Option(..., "--by", help="territory or month."),
    start: date | None = FROM,
    end: date | None = TO,
    territory: str | None = TERRITORY,
    fmt: Format = FORMAT,
) -> None:
    """Profit and loss: revenue, COGS, gross margin, operating expenses, operating profit."""
    _table_report(
        "pnl",
        "P&L",
        queries.pnl_report,
        by=queries.PnlDimension(by.value),
        start=start,
        end=end,
        territory=territory,
        columns=PNL_COLUMNS,
        fmt=fmt,
        params={"territory": territory},
    )


@app.command("kpis")
@_guard
def kpis(
    period: queries.PeriodName = typer.Option(
        queries.PeriodName.MTD, "--period", help="mtd, qtd, ytd, last_30_days or custom."
    ),
    start: date | None = typer.Option(None, "--from", help="First day of a custom period."),
    end: date | None = typer.Option(None, "--to", help="Last day of a custom period."),
    today: date | None = typer.Option(None, "--today", help="The day named periods end on (default: today)."),
    territory: str | None = TERRITORY,
    fmt: Format = FORMAT,
) -> None:
    """The at-a-glance scorecard: overall health and every KPI against target and prior period."""
    if period is queries.PeriodName.CUSTOM:
        if not (start and end):
            fail("a custom period needs --from and --to", code=2)
        chosen = queries.Period(start, end)
    else:
        chosen = queries.period_for(period, today=today or date.today())
    settings = get_settings()
    with _session() as session:
        card = cached_query(
            session,
            "scorecard",
            queries.scorecard,
            period=chosen,
            scope=queries.Scope.everything(),
            territory=territory,
            thresholds=settings.health_thresholds,
            with_spark=False,
        )
        version = current_data_version(session)
    rows = [
        {
            "key": c.metric.value,
            "label": c.label,
            "value": c.value,
            "target": c.target,
            "prior": c.prior,
            "change_pct": c.change_pct,
            "status": c.status.value,
            "target_coverage": _coverage(c.coverage),
        }
        for c in card.cards
    ]
    payload = {
        "report": "kpis",
        "from": chosen.start,
        "to": chosen.end,
        "territory": territory,
        "currency": settings.reporting_currency,
        "data_version": version,
        "status": card.health.status.value,
        "headline": card.health.headline(),
        "rows": rows,
        "total": {},
    }
    if fmt is Format.table:
        stdout.print(card.health.headline())
    # Tables and CSV show the coverage as its note or reason; JSON keeps the whole object.
    shown = [{**row, "coverage": _coverage_text(c.coverage)} for row, c in zip(rows, card.cards, strict=True)]
    _emit(
        payload,
        ["key", "value", "target", "prior", "change_pct", "status", "coverage"],
        shown,
        fmt,
        f"KPIs {chosen.start} to {chosen.end}",
    )


def _coverage(coverage: queries.TargetCoverage | None) -> dict[str, Any] | None:
    """A KPI's target coverage as JSON: months and territories covered, the covered actual, note and reason."""
    if coverage is None:
        return None
    return {
        "months": {"covered": coverage.months_covered, "total": coverage.months_total},
        "territories": {"covered": coverage.territories_covered, "total": coverage.territories_total},
        "complete": coverage.complete,
        "covered_value": coverage.covered_value,
        "note": coverage.note,
        "reason": coverage.reason,
    }


def _coverage_text(coverage: queries.TargetCoverage | None) -> str:
    if coverage is None:
        return ""
    return coverage.note or coverage.reason or ""
