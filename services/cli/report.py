"""`glance report sales|pnl|kpis|budget|dimensions`: the figures the dashboard shows, as the API serves them.

Each command builds one request and hands it to `_run`, which builds the payload with
`services.reports` (the API's serializer) and prints it as a table, JSON or CSV. Without `--as`
the report covers every territory: whoever runs the CLI has the database anyway.
"""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ParamSpec

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from db import queries
from db.data_version import current_data_version
from db.scope import Scope
from services.auth import get_user, scope_of
from services.cli.output import fail, stderr, stdout
from services.imports.rejected_csv import neutralise
from services.reports.build import build_report
from services.reports.payloads import (
    BudgetPayload,
    DimensionsPayload,
    KpisPayload,
    PnlPayload,
    ReportPayload,
    SalesPayload,
)
from services.reports.requests import (
    BudgetRequest,
    DimensionsRequest,
    KpisRequest,
    ParameterError,
    PnlRequest,
    ReportError,
    ReportRequest,
    SalesBy,
    SalesRequest,
)
from services.runtime.database import get_engine
from services.runtime.settings import get_settings

app = typer.Typer(help="Print business figures (the same numbers the dashboard shows).", no_args_is_help=True)
P = ParamSpec("P")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FROM = typer.Option(None, "--from", help="First day (YYYY-MM-DD); default: the first day with data.")
TO = typer.Option(None, "--to", help="Last day (YYYY-MM-DD); default: the last day with data.")
TERRITORY = typer.Option(None, "--territory", help="Only this territory.")
FORMAT = typer.Option(Format.table, "--format", help="table, json or csv.")
AS_USER = typer.Option(
    None, "--as", metavar="USER", help="Only the territories this dashboard user may see (default: every territory)."
)
TEXT_COLUMNS = {"key", "label", "name", "coverage"}
"""Columns that hold words (left-aligned; names from imported files are kept from becoming CSV formulas)."""


def _guard(func: Callable[P, None]) -> Callable[P, None]:
    """Turn a database outage or an unanswerable request into one clear line instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            func(*args, **kwargs)
        except OperationalError as exc:
            fail(f"database unavailable: {str(exc.orig or exc).splitlines()[0]}", fix="check GLANCE_DATABASE_URL")
        except ReportError as exc:
            fail(exc.problem, fix=exc.fix, code=2 if isinstance(exc, ParameterError) else 1)

    return wrapper


def _scope(session: Session, as_user: str | None) -> Scope:
    """Every territory, or the stored scope of the active user `as_user`."""
    if as_user is None:
        return Scope.everything()
    user = get_user(session, username=as_user)
    if user is None or not user.is_active:
        fail(f"there is no active user called '{as_user}'", fix="check the name; `glance users add` adds one")
    return scope_of(session, user=user)


def _run(request: ReportRequest, *, fmt: Format, as_user: str | None) -> None:
    """Build the report as `as_user` (or the operator) may see it and print it in `fmt`."""
    with Session(get_engine()) as session:
        scope = _scope(session, as_user)
        if as_user is not None:
            stderr.print(f"figures as {escape(as_user)} sees them: {escape(scope.describe())}")
        report = build_report(
            session, request, scope=scope, settings=get_settings(), data_version=current_data_version(session)
        )
    if not isinstance(report, (KpisPayload, DimensionsPayload)) and report.start is None:
        where = f" in the territories {as_user} may see" if as_user else ""
        fail(
            f"there is no sales data{where} yet",
            fix="import a sales file with `glance import sales FILE` or run `glance demo`",
        )
    if fmt is Format.json:
        stdout.print_json(json.dumps(report.as_json()))
        return
    layout = _layout(report)
    if fmt is Format.csv:
        _print_csv(layout)
    else:
        if layout.headline:
            stdout.print(layout.headline)
        _print_table(layout)


@dataclass(frozen=True)
class _Layout:
    """How a report reads as a table: title, columns, rows and the total (empty when the rows do not add up)."""

    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: dict[str, Any]
    headline: str = ""


def _coverage_text(row: dict[str, Any]) -> str:
    coverage = row.get("target_coverage") or {}
    return str(coverage.get("note") or coverage.get("reason") or "")


def _layout(report: ReportPayload) -> _Layout:
    """The table of a report, from its JSON (so the table shows exactly the numbers JSON does)."""
    data = report.as_json()
    span = f"{data.get('from')} to {data.get('to')}"
    match report:
        case SalesPayload() | PnlPayload():
            label = "Sales" if isinstance(report, SalesPayload) else "P&L"
            columns = list(data["total"])
            return _Layout(f"{label} by {report.by.value}, {span}", columns, data["rows"], data["total"])
        case KpisPayload():
            rows = [{**row, "coverage": _coverage_text(row)} for row in data["rows"]]
            columns = ["key", "value", "target", "prior", "change_pct", "status", "coverage"]
            return _Layout(f"KPIs {span}", columns, rows, {}, headline=report.headline)
        case BudgetPayload():
            rows = [{**row, "coverage": _coverage_text(row)} for row in data["rows"]]
            columns = ["label", "actual", "budget", "variance", "variance_pct", "favourable", "coverage"]
            return _Layout(f"Budget vs actual {span}", columns, rows, {})
        case DimensionsPayload():
            rows = [
                {"dimension": dimension, "name": name}
                for dimension in ("territories", "channels", "categories")
                for name in data[dimension]
            ]
            rows += [{"dimension": day, "name": data[day]} for day in ("first_day", "last_day")]
            return _Layout("What the data holds", ["dimension", "name"], rows, {})


def _print_csv(layout: _Layout) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=layout.columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in [*layout.rows, layout.total] if layout.total else layout.rows:
        # Names come from imported files: a leading = + - @ must not become a spreadsheet formula.
        writer.writerow({k: neutralise(str(v)) if k in TEXT_COLUMNS else v for k, v in row.items()})


def _print_table(layout: _Layout) -> None:
    table = Table(title=layout.title, show_footer=bool(layout.total))
    for column in layout.columns:
        left = column in TEXT_COLUMNS or column == "dimension"
        table.add_column(column, footer=str(layout.total.get(column, "")), justify="left" if left else "right")
    for row in layout.rows:
        table.add_row(*(escape(f"{row[column]}") for column in layout.columns))
    stdout.print(table)


@app.command("sales")
@_guard
def sales(
    by: SalesBy = typer.Option(..., "--by", help="territory, channel, category, product, month or year."),
    start: date | None = FROM,
    end: date | None = TO,
    territory: str | None = TERRITORY,
    channel: str | None = typer.Option(None, "--channel", help="Only this channel."),
    category: str | None = typer.Option(None, "--category", help="Only this category."),
    fmt: Format = FORMAT,
    as_user: str | None = AS_USER,
) -> None:
    """Net revenue, COGS, gross margin, units and orders by one dimension."""
    request = SalesRequest(by=by, start=start, end=end, territory=territory, channel=channel, category=category)
    _run(request, fmt=fmt, as_user=as_user)


@app.command("pnl")
@_guard
def pnl(
    by: queries.PnlDimension = typer.Option(..., "--by", help="territory or month."),
    start: date | None = FROM,
    end: date | None = TO,
    territory: str | None = TERRITORY,
    fmt: Format = FORMAT,
    as_user: str | None = AS_USER,
) -> None:
    """Profit and loss: revenue, COGS, gross margin, operating expenses, operating profit."""
    _run(PnlRequest(by=by, start=start, end=end, territory=territory), fmt=fmt, as_user=as_user)


@app.command("kpis")
@_guard
def kpis(
    period: queries.PeriodName | None = typer.Option(
        None, "--period", help="mtd, qtd, ytd, last_30_days or custom; default mtd, or custom with --from and --to."
    ),
    start: date | None = typer.Option(None, "--from", help="First day of a custom period."),
    end: date | None = typer.Option(None, "--to", help="Last day of a custom period."),
    today: date | None = typer.Option(None, "--today", help="The day named periods end on (default: today)."),
    territory: str | None = TERRITORY,
    fmt: Format = FORMAT,
    as_user: str | None = AS_USER,
) -> None:
    """The at-a-glance scorecard: overall health and every KPI against target and prior period."""
    request = KpisRequest.choose(period=period, start=start, end=end, today=today or date.today(), territory=territory)
    _run(request, fmt=fmt, as_user=as_user)


@app.command("budget")
@_guard
def budget(
    start: date | None = FROM,
    end: date | None = TO,
    territory: str | None = TERRITORY,
    fmt: Format = FORMAT,
    as_user: str | None = AS_USER,
) -> None:
    """Budget against actual for each P&L line and each expense category with a budget."""
    _run(BudgetRequest(start=start, end=end, territory=territory), fmt=fmt, as_user=as_user)


@app.command("dimensions")
@_guard
def dimensions(fmt: Format = FORMAT, as_user: str | None = AS_USER) -> None:
    """The territories, channels and categories in the data, and the first and last day with sales."""
    _run(DimensionsRequest(), fmt=fmt, as_user=as_user)
