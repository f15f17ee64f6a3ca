"""`glance users add|import|set-password`: the people who sign in to the dashboard."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from services.auth import AccountError, Role, create_user, new_password, set_password
from services.cli.imports import FileArg, FormatOpt, MapOpt, OutputFormat, StrictOpt, import_file
from services.cli.output import fail, stdout
from services.contracts.report import ImportKind
from services.runtime.database import session_scope

app = typer.Typer(help="Add users, import them from a file, set passwords.", no_args_is_help=True)

PasswordStdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")]


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
) -> None:
    """Add a user; without --password-stdin a password is generated and printed once."""
    password, generated = _password(password_stdin)
    try:
        with session_scope() as session:
            create_user(
                session, username=name, role=role, password=password, display_name=display_name, language=language
            )
    except AccountError as exc:
        fail(str(exc), fix="pick another name, or `glance users set-password NAME`")
    stdout.print(f"user '{name}' added ({role.value})")
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
