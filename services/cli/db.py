"""`glance db upgrade|current|check`: manage the database schema."""

from __future__ import annotations

import typer
from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from db.migrate import schema_status, upgrade
from services.auth import AccountError
from services.cli.output import fail, stdout
from services.embedded.first_start import ensure_first_admin, ensure_service_token
from services.runtime.database import get_engine, session_scope
from services.runtime.settings import get_settings

app = typer.Typer(help="Manage the database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration, then the first admin and the dashboard token from settings.

    Safe to run again: the admin is created only in an empty user table (from
    GLANCE_ADMIN_PASSWORD), and GLANCE_API_TOKEN is registered only once, by its hash.
    """
    from alembic.util import CommandError  # imported here, not by every command: see db.migrate

    engine = get_engine()
    status = schema_status(engine)
    if not status.error and not status.known_revision:
        fail(status.describe(), fix="deploy the release that matches the database, or restore a backup")
    try:
        upgrade(engine)
        settings = get_settings()
        with session_scope(engine) as session:
            admin = ensure_first_admin(session, password=_secret(settings.admin_password))
            token = ensure_service_token(session, token=_secret(settings.api_token))
    except (SQLAlchemyError, CommandError) as exc:
        fail(f"migration failed: {str(exc).splitlines()[0]}", fix="check GLANCE_DATABASE_URL and the database log")
    except AccountError as exc:
        fail(str(exc), fix="set GLANCE_API_TOKEN to a long random value")
    stdout.print(schema_status(engine).describe())
    if admin:
        stdout.print("created the first admin user 'admin' from GLANCE_ADMIN_PASSWORD")
    if token:
        stdout.print("registered GLANCE_API_TOKEN for the dashboard")


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value else None


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
