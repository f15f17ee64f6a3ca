"""Why a whole file cannot be imported: each names the problem and the fix."""

from __future__ import annotations

from services.runtime.errors import GlanceError


class ImportRefusedError(GlanceError, ValueError):
    """The file as a whole cannot be imported (empty, binary, no header, bad mapping, ambiguous dates)."""

    def __init__(self, problem: str, *, fix: str) -> None:
        super().__init__(problem, fix=fix)
