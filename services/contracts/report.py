"""What an import did: the run report the CLI prints and the API returns (one shape for both)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class ImportKind(StrEnum):
    """What a file holds."""

    sales = "sales"
    expenses = "expenses"
    targets = "targets"
    fx_rates = "fx-rates"
    users = "users"


class RunStatus(StrEnum):
    """Where an import run stands."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    refused = "refused"


class Rejection(BaseModel):
    """One problem with one row: where it is, what it holds and why it was refused."""

    row: int = Field(description="row number in the file; the header is row 1")
    field: str
    value: str
    reason: str


class DefaultUsed(BaseModel):
    """An optional field the file left out or blank, and the value used instead."""

    field: str
    value: str
    rows: int = Field(description="how many rows took the default")


class IgnoredColumn(BaseModel):
    """A column of the file that no field reads: neither a field's name nor mapped to one."""

    column: str
    rows: int = Field(description="how many rows hold a value in it (blank cells not counted)")


class ImportReport(BaseModel):
    """The outcome of one import run."""

    run_id: int
    kind: ImportKind
    source: str
    filename: str
    status: RunStatus
    dry_run: bool = False
    strict: bool = False
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = Field(default=0, description="rows refused (a row with two bad fields counts once)")
    data_version: int | None = None
    rejections: list[Rejection] = Field(default_factory=list)
    rejections_truncated: bool = Field(default=False, description="more rejections are in rejected.csv")
    defaults_used: list[DefaultUsed] = Field(default_factory=list)
    ignored_columns: list[IgnoredColumn] = Field(default_factory=list)
    date_format: str = ""
    file_format: str = ""
    encoding: str = ""
    elapsed: float = Field(default=0.0, description="seconds")
    rows_per_second: float = 0.0
    message: str = ""

    def summary(self) -> str:
        """The one-line outcome a person reads first."""
        counts = (
            f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected"
        )
        if self.status is RunStatus.succeeded:
            prefix = "dry run (nothing stored): " if self.dry_run else ""
            return f"{prefix}{counts} of {self.rows_read} rows read"
        return f"{self.status.value}: {self.message}"


class ImportProgress(BaseModel):
    """Sent to a progress callback after each batch."""

    rows_done: int
    rows_total: int | None


class FileColumns(BaseModel):
    """A file's header as an import would read it, so a form can offer its columns for mapping."""

    format: str = Field(description="csv, xlsx, parquet or jsonl, detected from the content")
    columns: list[str]
