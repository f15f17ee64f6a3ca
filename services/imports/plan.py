"""What a file is and how to read it, settled before any row is stored: its columns and its date order."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from services.contracts.kinds import KINDS, KindSpec
from services.contracts.report import ImportKind
from services.imports.dates import DateEvidence, DateFormat, choose_format, gather_evidence
from services.imports.errors import ImportRefusedError
from services.imports.mapping import ColumnMap, resolve_columns
from services.imports.read import ROW, TableFile, open_table


@dataclass(frozen=True)
class Plan:
    """What the file is and how to read it, settled before any row is stored."""

    table: TableFile
    spec: KindSpec
    columns: ColumnMap
    date_format: DateFormat
    rows_total: int | None
    confirm_column: str | None = None
    """Set when the date order was read off the first batch: the pass confirms it on this column."""

    @property
    def file_columns(self) -> list[str]:
        """The file's columns some field reads, in file order (what a rejected row keeps of its row)."""
        return sorted(set(self.columns.columns.values()), key=self.table.columns.index)


class DateOrderChangedError(Exception):
    """The whole file's date order differs from its first batch's: read it again in `date_format`."""

    def __init__(self, date_format: DateFormat) -> None:
        super().__init__(f"the file's dates are {date_format.description}")
        self.date_format = date_format


def plan_file(
    file: Path,
    kind: ImportKind,
    *,
    mapping: dict[str, str],
    encoding: str | None,
    sheet: str | None,
    date_format: DateFormat | None,
    batch_rows: int,
) -> Plan:
    """Open the file, match its columns and settle its date order.

    The order is taken from the first batch when it tells (most files: ISO dates, or a day above
    12 early on), and the pass confirms it (`confirm_order`); otherwise from a pass over the
    whole date column first, as it must be before a row is read.
    """
    table = open_table(file, encoding=encoding, sheet=sheet)
    spec = KINDS[kind]
    columns = resolve_columns(spec, header=table.columns, mapping=mapping)
    estimate = table.estimated_rows()
    survey_field = spec.date_field if spec.date_field in columns.columns else None
    if survey_field is None or date_format is not None:
        return Plan(
            table=table, spec=spec, columns=columns, date_format=date_format or DateFormat.iso, rows_total=estimate
        )
    survey_column = columns.columns[survey_field]
    survey = table.batches(batch_rows=batch_rows, columns=[survey_column])
    first = next(survey, None)
    if first is None:
        raise no_rows(file)
    evidence = gather_evidence(first, column=survey_column, row_column=ROW)
    try:
        chosen = choose_format(evidence, field=survey_field, requested=None)
    except ImportRefusedError:
        pass  # the first batch cannot tell: the whole column decides, below
    else:
        return Plan(
            table=table,
            spec=spec,
            columns=columns,
            date_format=chosen,
            rows_total=estimate,
            confirm_column=survey_column,
        )
    rows = first.height
    for frame in survey:
        rows += frame.height
        evidence = evidence.add(gather_evidence(frame, column=survey_column, row_column=ROW))
    chosen = choose_format(evidence, field=survey_field, requested=None)
    return Plan(table=table, spec=spec, columns=columns, date_format=chosen, rows_total=rows)


def no_rows(file: Path) -> ImportRefusedError:
    """The refusal for a file with a header and nothing under it."""
    return ImportRefusedError(f"{file.name} has a header but no rows", fix="export the file again with its rows")


def confirm_order(plan: Plan, evidence: list[DateEvidence]) -> None:
    """After a pass that took the date order from the first batch: the whole file must agree.

    The whole file's evidence may refuse it (mixed orders: the same refusal a survey gives), or
    choose another order, and then the file is read again in that order.
    """
    whole = functools.reduce(DateEvidence.add, evidence, DateEvidence())
    order = choose_format(whole, field=plan.spec.date_field or "", requested=None)
    if order is not plan.date_format:
        raise DateOrderChangedError(order)
