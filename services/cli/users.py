"""`glance users add|import|list|set-password|set-scope`: the people who sign in to the dashboard."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from db.scope import EVERY_TERRITORY, Scope
from services.auth import (
    AccountError,
    Role,
    create_user,
    list_users,
    new_password,
    set_password,
    set_user_scope,
)
from services.cli.imports import FileArg, FormatOpt, MapOpt, OutputFormat, StrictOpt, import_file
from services.cli.output import fail, stdout
from services.cli.tokens import read_territories
from services.contracts.report import ImportKind
from services.runtime.database import session_scope

app = typer.Typer(
    help="Add and list users, import them from a file, set passwords and territories.", no_args_is_help=True
)

PasswordStdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")]
TERRITORIES_HELP = 'The territories the user sees: * for every territory, a list such as UK,IE, or "" for none.'


def _warn_if_empty(name: str, scope: Scope) -> None:
    if scope.territories == ():
        stdout.print(
            f"'{escape(name)}' sees no figures until granted territories: "
            f"glance users set-scope {escape(name)} --territories UK,IE (or * for every territory)"
        )


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password to use and whether it was generated (and so must be shown)."""
    if not from_stdin:
        return new_password(), True
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("stdin held no password", fix="pipe one in: echo 'secret' | glance users ... --password-stdin", code=2)
    return password, False


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[Role, typer.Option("--role", help="viewer, analyst or admin.")],
    password_stdin: PasswordStdinOpt = False,
    display_name: Annotated[str, typer.Option("--display-name")] = "",
    language: Annotated[str, typer.Option("--language", help="e.g. en, fr, de.")] = "",
    territories: Annotated[str, typer.Option("--territories", help=TERRITORIES_HELP)] = "*",
) -> None:
    """Add a user; without --password-stdin a password is generated and printed once."""
    scope = read_territories(territories)
    password, generated = _password(password_stdin)
    try:
        with session_scope() as session:
            create_user(
                session,
                username=name,
                role=role,
                password=password,
                display_name=display_name,
                language=language,
                scope=scope,
            )
    except AccountError as exc:
        fail(str(exc), fix="pick another name, or `glance users set-password NAME`")
    stdout.print(f"user '{escape(name)}' added ({role.value}; sees {escape(scope.describe())})")
    _warn_if_empty(name, scope)
    if generated:
        stdout.print("password (shown once):")
        print(password)


@app.command("import")
def import_command(
    file: FileArg, map_: MapOpt = None, strict: StrictOpt = False, output: FormatOpt = OutputFormat.table
) -> None:
    """Add or update users from a file (username*, role, display_name, language, password)."""
    import_file(ImportKind.users, file, mapping=map_, strict=strict, output=output)


@app.command("set-password")
def set_password_command(
    name: Annotated[str, typer.Argument(help="The username.")], password_stdin: PasswordStdinOpt = False
) -> None:
    """Set a user's password; without --password-stdin a new one is generated and printed once."""
    password, generated = _password(password_stdin)
    try:
        with session_scope() as session:
            set_password(session, username=name, password=password)
    except AccountError as exc:
        fail(str(exc), fix="check the name with the admin page, or `glance users add NAME --role viewer`")
    stdout.print(f"password of '{name}' changed")
    if generated:
        stdout.print("new password (shown once):")
        print(password)


@app.command("set-scope")
def set_scope_command(
    name: Annotated[str, typer.Argument(help="The username.")],
    territories: Annotated[str, typer.Option("--territories", help=TERRITORIES_HELP)],
) -> None:
    """Replace the territories a user sees in the dashboard and through the API."""
    scope = read_territories(territories)
    try:
        with session_scope() as session:
            set_user_scope(session, username=name, scope=scope)
    except AccountError as exc:
        fail(str(exc), fix="check the name with `glance users list`")
    stdout.print(f"'{escape(name)}' now sees {escape(scope.describe())}")
    _warn_if_empty(name, scope)


@app.command("list")
def list_command(output: FormatOpt = OutputFormat.table) -> None:
    """Every user with role and territories (JSON: `territories` lists `*` for every territory)."""
    with session_scope() as session:
        users = list_users(session)
    if output is OutputFormat.json:
        rows = [
            {
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "active": user.active,
                "territories": [EVERY_TERRITORY] if user.scope.territories is None else list(user.scope.territories),
            }
            for user in users
        ]
        stdout.print_json(json.dumps(rows))
        return
    table = Table("user", "name", "role", "territories", "active")
    for user in users:
        table.add_row(
            escape(user.username),
            escape(user.display_name),
            user.role,
            escape(user.scope.describe()),
            "yes" if user.active else "no",
        )
    stdout.print(table)
