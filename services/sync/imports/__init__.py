"""File imports: any sales, expense, target, FX-rate or user file in, every bad row explained."""

from services.sync.imports.dates import DateFormat
from services.sync.imports.errors import ImportRefusedError
from services.sync.imports.pipeline import run_import
from services.sync.imports.report import ImportKind, ImportProgress, ImportReport, Rejection, RunStatus

__all__ = [
    "DateFormat",
    "ImportKind",
    "ImportProgress",
    "ImportRefusedError",
    "ImportReport",
    "Rejection",
    "RunStatus",
    "run_import",
]
