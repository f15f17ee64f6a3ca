"""`glance db upgrade|current|check`: manage the database schema."""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from db.engine import get_engine
from db.migrate import schema_status, upgrade
from services.cli.output import fail, stdout

app = typer.Typer(help="Manage the database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration (safe to run again)."""
    engine = get_engine()
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        fail(f"migration failed: {str(exc).splitlines()[0]}", fix="check GLANCE_DATABASE_URL and the database log")
    stdout.print(schema_status(engine).describe())


@app.command("current")
def current_command() -> None:
    """Print the revision the database is at and the code's head."""
    status = schema_status(get_engine())
    if status.error:
        fail(status.describe(), fix="check GLANCE_DATABASE_URL and that the database is running")
    stdout.print(f"database: {status.database or '(empty)'}")
    stdout.print(f"code head: {status.code_head}")


@app.command("check")
def check_command() -> None:
    """Exit non-zero unless the database schema is exactly at the code's head."""
    status = schema_status(get_engine())
    if not status.at_head:
        fail(status.describe(), fix="run `glance db upgrade`" if status.known_revision else "deploy the newer release")
    stdout.print(status.describe())
