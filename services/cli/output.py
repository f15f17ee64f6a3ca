"""How CLI commands report: results on stdout, errors on stderr with a one-line fix."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, *, fix: str = "", code: int = 1) -> NoReturn:
    """Print `error: message` and an optional fix to stderr, then exit with `code`."""
    stderr.print(f"[bold red]error:[/] {message}")
    if fix:
        stderr.print(f"fix: {fix}")
    raise typer.Exit(code)
