"""`glance`: the entry point. Each command group lives in its own module and is added here."""

from __future__ import annotations

import importlib
import sys

import typer

from services.runtime.logs import configure_logging
from services.runtime.settings import get_settings

app = typer.Typer(
    name="glance",
    help="Glance: a business KPI dashboard with a sync service. Run `glance demo` to try it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

GROUPS = {
    "db": "db",
    "report": "report",
    "import": "imports",
    "tokens": "tokens",
    "users": "users",
    "backup": "backup",
    "sources": "sources",
}
"""Command group -> module of `services.cli` that defines its `app`."""
TOP_LEVEL = ("run", "ops")
"""Modules of `services.cli` whose `register(app)` adds top-level commands (demo, serve, health, ...)."""


@app.callback()
def _configure(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also show informational logs (Glance's and its libraries') on stderr."
    ),
) -> None:
    # A command prints its own output; logs below warning would only bury it. Serving commands
    # reconfigure logging for the services (services.cli.run).
    configure_logging(get_settings(), quiet=not verbose)


def _group_asked_for(argv: list[str]) -> str | None:
    """The command group the command line starts with, or None (help, a top-level command, tests).

    Only that group's module is then imported: the others pull in libraries of their own (YAML,
    HTTP, Redis, the scheduler), which cost every command about 0.15 s to import.
    """
    return argv[1] if len(argv) > 1 and argv[1] in GROUPS else None


def _register(asked: str | None) -> None:
    for name, module in GROUPS.items():
        if asked in (None, name):
            app.add_typer(importlib.import_module(f"services.cli.{module}").app, name=name)
    if asked is None:
        for module in TOP_LEVEL:
            importlib.import_module(f"services.cli.{module}").register(app)


_register(_group_asked_for(sys.argv))
