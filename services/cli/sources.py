"""`glance sources list|pull NAME`: the sources the sync service pulls, and one pull now."""

from __future__ import annotations

import json
from typing import Annotated, TypedDict

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from services.cli.imports import OutputFormat, print_report
from services.cli.output import fail, stdout
from services.ops.alerts import check_alerts
from services.ops.freshness import freshness_now
from services.runtime.database import get_engine
from services.runtime.settings import get_settings
from services.sources import SourceConfigError, SourcesFile, load_sources, pull_source
from services.sources.state import all_states

app = typer.Typer(help="List the configured sources and pull one now.", no_args_is_help=True)
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


def _sources() -> SourcesFile:
    settings = get_settings()
    if settings.sources_file is None:
        fail("no sources file is configured", fix="set GLANCE_SOURCES_FILE to your sources YAML")
    try:
        return load_sources(settings.sources_file)
    except SourceConfigError as exc:
        fail(exc.problem, fix=exc.fix)


class _SourceRow(TypedDict):
    """One line of `glance sources list` (also its JSON output)."""

    name: str
    kind: str
    target: str
    schedule: str
    last_success: str | None
    failures_in_a_row: int
    last_error: str
    data_age_h: float | None
    stale: bool


@app.command("list")
def list_sources(output: FormatOpt = OutputFormat.table) -> None:
    """Each source: kind, target, schedule, last good pull, failures in a row and data age."""
    sources = _sources()
    try:
        with Session(get_engine()) as session:
            states = all_states(session)
    except SQLAlchemyError as exc:
        fail(f"cannot read source states: {str(exc).splitlines()[0]}", fix="run `glance db upgrade`")
    ages = {
        item.name: item for item in freshness_now(get_engine(), settings=get_settings()) if item.subject == "source"
    }
    rows: list[_SourceRow] = []
    for source in sources.sources:
        state, age = states.get(source.name), ages.get(source.name)
        rows.append(
            {
                "name": source.name,
                "kind": source.kind,
                "target": source.target.value,
                "schedule": source.schedule or "manual",
                "last_success": state.last_success_at.isoformat() if state and state.last_success_at else None,
                "failures_in_a_row": state.consecutive_failures if state else 0,
                "last_error": state.last_error if state else "",
                "data_age_h": round(age.age_s / 3600, 2) if age and age.age_s is not None else None,
                "stale": bool(age and age.stale),
            }
        )
    if output is OutputFormat.json:
        stdout.print_json(json.dumps(rows))
        return
    table = Table("name", "kind", "target", "schedule", "last good pull", "failures", "data age", "stale")
    for row in rows:
        age_text = f"{row['data_age_h']} h" if row["data_age_h"] is not None else "-"
        table.add_row(
            row["name"],
            row["kind"],
            row["target"],
            row["schedule"],
            row["last_success"] or "never",
            str(row["failures_in_a_row"]),
            age_text,
            "STALE" if row["stale"] else "",
        )
    stdout.print(table)


@app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="The source's name (see `glance sources list`).")],
    output: FormatOpt = OutputFormat.table,
) -> None:
    """Pull one source now; exit 1 when the pull failed."""
    settings = get_settings()
    sources = _sources()
    try:
        source = sources.get(name)
    except SourceConfigError as exc:
        fail(exc.problem, fix=exc.fix)
    result = pull_source(get_engine(), source=source, settings=settings, requested_by="cli")
    check_alerts(get_engine(), settings=settings, sources=sources)
    for report in result.reports:
        print_report(report, output)
    if output is OutputFormat.table:
        stdout.print(f"pull of {name}: {result.status.value}: {result.message}")
    if not result.ok:
        fail(f"pull of {name} failed ({result.consecutive_failures} in a row)", fix="see the error above")
