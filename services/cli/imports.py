"""`glance import sales|expenses|targets|fx-rates|users FILE`: the import pipeline from the command line."""

from __future__ import annotations

import getpass
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from db.scope import Scope
from services.cli.output import fail, stderr, stdout
from services.contracts.kinds import KINDS
from services.contracts.report import RunStatus
from services.imports import DateFormat, ImportKind, ImportProgress, ImportRefusedError, ImportReport, run_import
from services.imports.mapping import parse_mapping
from services.runtime.database import get_engine

app = typer.Typer(help="Import a file of sales, expenses, targets, FX rates or users.", no_args_is_help=True)

PROGRESS_MIN_BYTES = 5 << 20
"""Files at least this large get a progress bar."""


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, XLSX, Parquet or JSON lines.")
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Where the rows come from (default: the file name).")]
MapOpt = Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN, when a header differs; repeatable.")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Text encoding (default: detected).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or number (default: the first).")]
DateOpt = Annotated[DateFormat | None, typer.Option("--date-format", help="Date order when the file cannot tell.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Store nothing if any row is bad.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check and count, store nothing.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="How to print the report.")]


def import_file(
    kind: ImportKind,
    file: Path,
    *,
    source: str | None = None,
    mapping: list[str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    date_format: DateFormat | None = None,
    strict: bool = False,
    dry_run: bool = False,
    output: OutputFormat = OutputFormat.table,
) -> None:
    """Run one import and print its report; exit 0 when processed, 1 when refused or failed, 2 on bad usage."""
    try:
        pairs = parse_mapping(mapping or [])
    except ImportRefusedError as exc:
        fail(exc.problem, fix=exc.fix, code=2)
    bar = _progress_bar(file)
    with bar or nullcontext():
        task = bar.add_task(f"importing {file.name}", total=None) if bar else None

        def advance(step: ImportProgress) -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=step.rows_done, total=step.rows_total)

        try:
            report = run_import(
                get_engine(),
                kind=kind,
                file=file,
                scope=Scope.everything(),  # the command line is the operator's: every territory
                source=source,
                mapping=pairs,
                strict=strict,
                dry_run=dry_run,
                encoding=encoding,
                sheet=sheet,
                date_format=date_format,
                requested_by=f"cli:{getpass.getuser()}",
                progress=advance,
            )
        except OperationalError as exc:
            # The run could not even be recorded: a read-only or missing data folder, or no database server.
            reason = str(exc.orig or exc).strip().splitlines()[0]
            fail(
                f"the database cannot be written ({reason}); nothing was imported",
                fix="check that the data folder (GLANCE_DATA_DIR) is writable and has free space, "
                "or that the database is up",
            )
    print_report(report, output)
    if report.status is not RunStatus.succeeded:
        raise typer.Exit(1)


def _progress_bar(file: Path) -> Progress | None:
    if file.stat().st_size < PROGRESS_MIN_BYTES:
        return None
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )


def print_report(report: ImportReport, output: OutputFormat) -> None:
    """Print a run report as JSON or as a short readable summary (refusals also go to stderr)."""
    if output is OutputFormat.json:
        stdout.print_json(report.model_dump_json())
    else:
        _print_table(report)
    if report.status in (RunStatus.refused, RunStatus.failed):
        stderr.print(f"[bold red]error:[/] {escape(report.message)}")


def _print_table(report: ImportReport) -> None:
    # File names, sources and rejected values come from the file: escaped, never read as rich markup.
    source = f"(source '{report.source}')"
    stdout.print(escape(f"import #{report.run_id} {report.kind.value} from {report.filename} {source}"))
    stdout.print(escape(report.summary()))
    if report.status is RunStatus.succeeded:
        stdout.print(
            f"{report.rows_read} rows in {report.elapsed:.2f} s ({report.rows_per_second:,.0f} rows/s); "
            f"data version {report.data_version}"
        )
    if report.date_format:
        stdout.print(f"dates read as {report.date_format}")
    for default in report.defaults_used:
        stdout.print(escape(f"default: {default.field} = {default.value} for {default.rows} rows"))
    if report.ignored_columns:
        unused = ", ".join(f"'{c.column}' ({c.rows:,} rows)" for c in report.ignored_columns)
        stdout.print(escape(f"Not used: {unused}"))
    if report.rejections:
        table = Table("row", "field", "value", "reason", title="rejected rows", title_justify="left")
        for rejection in report.rejections[:50]:
            cells = (rejection.field, rejection.value, rejection.reason)
            table.add_row(str(rejection.row), *(escape(cell) for cell in cells))
        stdout.print(table)
        if report.rejected > 50 or report.rejections_truncated:
            stdout.print(f"(all rejections: GET /api/v1/imports/{report.run_id}/rejected.csv)")


def _register(kind: ImportKind) -> None:
    fields = ", ".join(f.name + ("*" if f.required else "") for f in KINDS[kind].fields)

    def command(
        file: FileArg,
        source: SourceOpt = None,
        map_: MapOpt = None,
        encoding: EncodingOpt = None,
        sheet: SheetOpt = None,
        date_format: DateOpt = None,
        strict: StrictOpt = False,
        dry_run: DryRunOpt = False,
        output: FormatOpt = OutputFormat.table,
    ) -> None:
        import_file(
            kind,
            file,
            source=source,
            mapping=map_,
            encoding=encoding,
            sheet=sheet,
            date_format=date_format,
            strict=strict,
            dry_run=dry_run,
            output=output,
        )

    command.__doc__ = f"Import {kind.value} from FILE. Fields (* required): {fields}."
    app.command(kind.value)(command)


for _kind in ImportKind:
    _register(_kind)
