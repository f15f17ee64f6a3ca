"""`glance`: the entry point. Each command group lives in its own module and is added here."""

from __future__ import annotations

import typer

from services.cli import backup as backup_commands
from services.cli import db as db_commands
from services.cli import imports as import_commands
from services.cli import ops as ops_commands
from services.cli import report as report_commands
from services.cli import run as run_commands
from services.cli import sources as source_commands
from services.cli import tokens as token_commands
from services.cli import users as user_commands
from services.logs import configure_logging
from services.settings import get_settings

app = typer.Typer(
    name="glance",
    help="Glance: a business KPI dashboard with a sync service. Run `glance demo` to try it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _configure() -> None:
    configure_logging(get_settings())


app.add_typer(db_commands.app, name="db")
app.add_typer(report_commands.app, name="report")
app.add_typer(import_commands.app, name="import")
app.add_typer(token_commands.app, name="tokens")
app.add_typer(user_commands.app, name="users")
app.add_typer(backup_commands.app, name="backup")
app.add_typer(source_commands.app, name="sources")
run_commands.register(app)
ops_commands.register(app)
