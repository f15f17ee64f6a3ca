"""File imports: any sales, expense, target, FX-rate or user file in, every bad row explained."""

from services.contracts.report import ImportKind, ImportProgress, ImportReport, Rejection, RunStatus
from services.imports.dates import DateFormat
from services.imports.errors import ImportRefusedError
from services.imports.pipeline import run_import

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
