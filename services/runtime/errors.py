"""The one error shape Glance raises where something cannot go ahead: the problem and how to fix it.

Commands print both (`error: …` / `fix: …`), the API returns them as the detail, the dashboard
shows them in a notice; subclasses only say where the problem came from.
"""

from __future__ import annotations


class GlanceError(Exception):
    """Something Glance refuses or cannot do, with what is wrong and how to put it right."""

    def __init__(self, problem: str, *, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem} (fix: {self.fix})" if self.fix else self.problem
