"""How CLI commands report: results on stdout, errors on stderr with a one-line fix."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, *, fix: str = "", code: int = 1) -> NoReturn:
    """Print `error: message` and an optional fix to stderr, then exit with `code`."""
    # Messages quote user data (file names, values): escaped, so "[/x]" in a value is text, not markup.
    stderr.print(f"[bold red]error:[/] {escape(message)}")
    if fix:
        stderr.print(f"fix: {escape(fix)}")
    raise typer.Exit(code)
