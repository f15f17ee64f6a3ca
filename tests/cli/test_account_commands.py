"""`glance tokens` and `glance users`, on SQLite and Postgres."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session
from typer.testing import CliRunner

from services.auth import authenticate, verify_token
from services.cli.main import app as cli
from services.runtime.settings import Settings


def test_cli_token_create_prints_the_token_alone_on_the_last_line(glance_env: Settings, backend_engine: Engine) -> None:
    result = CliRunner().invoke(cli, ["tokens", "create", "--name", "dash", "--role", "viewer"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    with Session(backend_engine) as session:
        assert verify_token(session, token=secret).name == "dash"  # type: ignore[union-attr]
    assert CliRunner().invoke(cli, ["tokens", "revoke", "dash"]).exit_code == 0
    with Session(backend_engine) as session:
        assert verify_token(session, token=secret) is None


def test_cli_users_add_generates_a_password_and_set_password_reads_stdin(
    glance_env: Settings, backend_engine: Engine
) -> None:
    added = CliRunner().invoke(cli, ["users", "add", "eve", "--role", "analyst"])
    assert added.exit_code == 0, added.output
    generated = added.stdout.strip().splitlines()[-1]
    with Session(backend_engine) as session:
        assert authenticate(session, username="eve", password=generated) is not None
    changed = CliRunner().invoke(cli, ["users", "set-password", "eve", "--password-stdin"], input="n3w-secret\n")
    assert changed.exit_code == 0, changed.output
    with Session(backend_engine) as session:
        assert authenticate(session, username="eve", password="n3w-secret") is not None
    assert CliRunner().invoke(cli, ["users", "add", "eve", "--role", "analyst"]).exit_code == 1


def test_cli_users_import_adds_and_then_leaves_users_unchanged(
    glance_env: Settings, backend_engine: Engine, tmp_path: Path
) -> None:
    file = tmp_path / "people.csv"
    file.write_text("username,role,display_name,password\nfay,admin,Fay,pw-fay\ngus,,Gus,\nhal,chief,Hal,x\n")
    first = CliRunner().invoke(cli, ["users", "import", str(file), "--format", "json"])
    assert first.exit_code == 0, first.output
    assert '"inserted": 2' in first.stdout and "'chief' is not one of viewer, analyst, admin" in first.stdout
    again = CliRunner().invoke(cli, ["users", "import", str(file), "--format", "json"])
    assert '"unchanged": 2' in again.stdout
    with Session(backend_engine) as session:
        assert authenticate(session, username="fay", password="pw-fay") is not None
        assert session.execute(text("SELECT role FROM app_user WHERE username = 'gus'")).scalar_one() == "viewer"
