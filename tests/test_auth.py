"""Passwords, roles and API tokens, on SQLite and Postgres."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from typer.testing import CliRunner

from services.auth import (
    AccountError,
    Role,
    authenticate,
    create_token,
    create_user,
    get_user,
    revoke_token,
    set_language,
    set_password,
    verify_token,
)
from services.cli.main import app as cli
from services.runtime.settings import Settings


def test_a_user_signs_in_with_the_right_password_only(session: Session) -> None:
    create_user(session, username="ann", role="analyst", password="correct horse", display_name="Ann")
    session.commit()
    assert authenticate(session, username="ann", password="correct horse").role == "analyst"  # type: ignore[union-attr]
    assert authenticate(session, username="ann", password="wrong") is None
    assert authenticate(session, username="nobody", password="correct horse") is None
    stored = session.execute(text("SELECT password_hash FROM app_user")).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_a_chosen_language_is_kept_for_the_next_sign_in(session: Session) -> None:
    create_user(session, username="lan", role=Role.viewer, password="correct horse")
    session.commit()

    set_language(session, username="lan", language="vi")
    session.commit()

    assert authenticate(session, username="lan", password="correct horse").language == "vi"  # type: ignore[union-attr]
    set_language(session, username="lan", language="")  # back to the browser's language
    assert get_user(session, username="lan").language == ""  # type: ignore[union-attr]
    with pytest.raises(AccountError, match="not a language code"):
        set_language(session, username="lan", language="<script>")
    with pytest.raises(AccountError, match="no user called"):
        set_language(session, username="nobody", language="en")


def test_set_password_replaces_the_old_one(session: Session) -> None:
    create_user(session, username="bo", role=Role.viewer, password="one")
    set_password(session, username="bo", password="two")
    assert authenticate(session, username="bo", password="one") is None
    assert authenticate(session, username="bo", password="two") is not None


def test_duplicate_users_and_unknown_roles_are_refused(session: Session) -> None:
    create_user(session, username="cy", role="admin", password="x")
    with pytest.raises(AccountError, match="already exists"):
        create_user(session, username="cy", role="admin", password="x")
    with pytest.raises(AccountError, match="not a role"):
        create_user(session, username="dee", role="boss", password="x")


def test_a_token_is_stored_hashed_and_stops_working_when_revoked(session: Session) -> None:
    secret = create_token(session, name="ci", role="analyst")
    session.commit()
    assert secret not in session.execute(text("SELECT token_hash FROM api_token")).scalar_one()
    token = verify_token(session, token=secret)
    assert token is not None and token.role == "analyst" and token.last_used_at is not None
    revoke_token(session, name="ci")
    assert verify_token(session, token=secret) is None
    assert verify_token(session, token="glance_guess") is None


def test_roles_are_ordered() -> None:
    assert Role.admin.allows(Role.analyst) and Role.analyst.allows(Role.viewer)
    assert not Role.viewer.allows(Role.analyst)


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


def test_cli_import_exit_codes(glance_env: Settings, tmp_path: Path) -> None:
    good = tmp_path / "s.csv"
    good.write_text("external_id,order_date,territory,units,net_revenue\n1,2025-01-02,UK,1,2\n2,2025-01-02,UK,x,2\n")
    assert CliRunner().invoke(cli, ["import", "sales", str(good)]).exit_code == 0
    assert CliRunner().invoke(cli, ["import", "sales", str(good), "--strict"]).exit_code == 1
    assert CliRunner().invoke(cli, ["import", "sales", str(good), "--map", "nonsense"]).exit_code == 2
    assert CliRunner().invoke(cli, ["import", "sales", str(tmp_path / "missing.csv")]).exit_code == 2
