"""`glance tokens create|revoke`: bearer tokens for the sync service API."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from db.scope import Scope, ScopeError
from services.auth import AccountError, Role, create_token, revoke_token
from services.cli.output import fail, stdout
from services.runtime.database import session_scope

app = typer.Typer(help="Create and revoke API tokens for the sync service.", no_args_is_help=True)


def read_territories(text: str) -> Scope:
    """The scope a `--territories` option asks for ("" grants nothing); a usage error (exit 2) for other text.

    Shared by `glance users`; it lives here because this module is the lighter one to import.
    """
    if text == "":
        return Scope.only([])
    try:
        return Scope.parse(text)
    except ScopeError as exc:
        fail(str(exc), fix='quote the value: --territories "UK,IE", or --territories "*" for every territory', code=2)


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="A name to recognise the token by.")],
    role: Annotated[Role, typer.Option("--role", help="viewer, analyst (may import) or admin.")],
    territories: Annotated[
        str,
        typer.Option(
            "--territories",
            help='The territories the token sees: * for every territory, a list such as UK,IE, or "" for none.',
        ),
    ] = "*",
) -> None:
    """Create a token and print it once, alone on the last line (only its hash is stored)."""
    scope = read_territories(territories)
    try:
        with session_scope() as session:
            secret = create_token(session, name=name, role=role, scope=scope)
    except AccountError as exc:
        fail(str(exc), fix="choose another --name, or `glance tokens revoke NAME` first")
    stdout.print(
        f"token '{escape(name)}' ({role.value}; sees {escape(scope.describe())}); copy it now, it is not shown again:"
    )
    print(secret)


@app.command("revoke")
def revoke_command(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token; requests using it get 401 from now on."""
    try:
        with session_scope() as session:
            revoke_token(session, name=name)
    except AccountError as exc:
        fail(str(exc), fix="check the name")
    stdout.print(f"token '{name}' revoked")
