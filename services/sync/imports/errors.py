"""Why a whole file cannot be imported: each names the problem and the fix."""

from __future__ import annotations


class ImportRefusedError(ValueError):
    """The file as a whole cannot be imported (empty, binary, no header, bad mapping, ambiguous dates)."""

    def __init__(self, problem: str, *, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem} (fix: {self.fix})"
