"""`glance tokens create|revoke`: bearer tokens for the sync service API."""

from __future__ import annotations

from typing import Annotated

import typer

from services.auth import AccountError, Role, create_token, revoke_token
from services.cli.output import fail, stdout
from services.runtime.database import session_scope

app = typer.Typer(help="Create and revoke API tokens for the sync service.", no_args_is_help=True)


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="A name to recognise the token by.")],
    role: Annotated[Role, typer.Option("--role", help="viewer, analyst (may import) or admin.")],
) -> None:
    """Create a token and print it once, alone on the last line (only its hash is stored)."""
    try:
        with session_scope() as session:
            secret = create_token(session, name=name, role=role)
    except AccountError as exc:
        fail(str(exc), fix="choose another --name, or `glance tokens revoke NAME` first")
    stdout.print(f"token '{name}' ({role.value}); copy it now, it is not shown again:")
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
