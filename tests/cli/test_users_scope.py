"""`glance users` and `glance tokens` with `--territories`: scopes set from the command line, as an admin would.

The commands run in process (Typer's runner, the whole `glance` app) against the real database on
both backends; the first-start paths (`glance db upgrade`, `glance demo`) run as real processes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, text
from sqlmodel import Session
from typer.testing import CliRunner

from db.engine import make_engine
from db.scope import Scope
from services.auth import authenticate, get_user, scope_of, verify_token
from services.cli.main import app as cli
from services.runtime.settings import Settings
from tests.cli.conftest import run_glance

BAD_TERRITORIES = [
    ("UK,,IE", "'UK,,IE' is not a list of territories"),
    ("UK,*", "'UK,*' mixes * or all (every territory) with a list"),
    ("U\x1bK", "'U\\x1bK' is not a territory name"),
    ("  ", "'  ' is not a list of territories"),
]


@pytest.fixture
def glance(glance_env: Settings) -> Callable[..., Result]:
    """`glance ARGS`, pointed at this test's database."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    return run


def _user_scope(engine: Engine, username: str) -> Scope | None:
    with Session(engine) as session:
        user = get_user(session, username=username)
        return None if user is None else scope_of(session, user=user)


def _token_scope(engine: Engine, secret: str) -> Scope:
    with Session(engine) as session:
        token = verify_token(session, token=secret)
        assert token is not None
        return scope_of(session, token=token)


def test_users_add_with_territories_grants_them_and_says_so(
    glance: Callable[..., Result], backend_engine: Engine
) -> None:
    added = glance("users", "add", "ann", "--role", "viewer", "--territories", "UK, IE")

    assert added.exit_code == 0, added.stderr
    assert "user 'ann' added (viewer; sees IE, UK)" in added.stdout
    assert _user_scope(backend_engine, "ann") == Scope.only(["IE", "UK"])
    with Session(backend_engine) as session:
        assert authenticate(session, username="ann", password=added.stdout.strip().splitlines()[-1]) is not None


def test_users_add_without_territories_grants_every_territory(
    glance: Callable[..., Result], backend_engine: Engine
) -> None:
    added = glance("users", "add", "bo", "--role", "analyst")

    assert added.exit_code == 0, added.stderr
    assert "user 'bo' added (analyst; sees all territories)" in added.stdout
    assert _user_scope(backend_engine, "bo") == Scope.everything()


def test_users_add_with_empty_territories_grants_nothing_and_says_how_to_grant(
    glance: Callable[..., Result], backend_engine: Engine
) -> None:
    added = glance("users", "add", "cy", "--role", "viewer", "--territories", "")

    assert added.exit_code == 0, added.stderr
    assert "sees no territories" in added.stdout
    assert "'cy' sees no figures until granted territories: glance users set-scope cy" in added.stdout
    assert _user_scope(backend_engine, "cy") == Scope.only([])


@pytest.mark.parametrize(("territories", "message"), BAD_TERRITORIES)
def test_users_add_refuses_unreadable_territories_and_stores_nothing(
    glance: Callable[..., Result], backend_engine: Engine, territories: str, message: str
) -> None:
    refused = glance("users", "add", "dee", "--role", "admin", "--territories", territories)

    assert refused.exit_code == 2
    assert message in refused.stderr and "\x1b" not in refused.stderr
    assert "fix: quote the value" in refused.stderr
    assert _user_scope(backend_engine, "dee") is None


def test_set_scope_replaces_a_users_territories(glance: Callable[..., Result], backend_engine: Engine) -> None:
    assert glance("users", "add", "eve", "--role", "viewer", "--territories", "UK").exit_code == 0

    narrowed = glance("users", "set-scope", "eve", "--territories", "FR,DE")
    assert narrowed.exit_code == 0, narrowed.stderr
    assert "'eve' now sees DE, FR" in narrowed.stdout
    assert _user_scope(backend_engine, "eve") == Scope.only(["DE", "FR"])

    widened = glance("users", "set-scope", "eve", "--territories", "*")
    assert "'eve' now sees all territories" in widened.stdout
    assert _user_scope(backend_engine, "eve") == Scope.everything()


def test_set_scope_to_nothing_is_explicit(glance: Callable[..., Result], backend_engine: Engine) -> None:
    assert glance("users", "add", "fay", "--role", "viewer").exit_code == 0

    emptied = glance("users", "set-scope", "fay", "--territories", "")

    assert emptied.exit_code == 0, emptied.stderr
    assert "'fay' now sees no territories" in emptied.stdout
    assert "'fay' sees no figures until granted territories" in emptied.stdout
    assert _user_scope(backend_engine, "fay") == Scope.only([])


def test_set_scope_refuses_bad_text_and_unknown_users_and_changes_nothing(
    glance: Callable[..., Result], backend_engine: Engine
) -> None:
    assert glance("users", "add", "gus", "--role", "viewer", "--territories", "ES").exit_code == 0

    bad = glance("users", "set-scope", "gus", "--territories", "ES,all")
    unknown = glance("users", "set-scope", "nobody", "--territories", "ES")

    assert bad.exit_code == 2 and "'ES,all' mixes * or all" in bad.stderr
    assert _user_scope(backend_engine, "gus") == Scope.only(["ES"])
    assert unknown.exit_code == 1 and "there is no user called 'nobody'" in unknown.stderr
    assert _user_scope(backend_engine, "nobody") is None


def test_users_list_shows_each_users_role_and_territories(glance: Callable[..., Result]) -> None:
    for name, role, territories in (("hal", "admin", "*"), ("ida", "viewer", "Việt Nam,UK"), ("jo", "viewer", "")):
        assert glance("users", "add", name, "--role", role, "--territories", territories).exit_code == 0

    listed = glance("users", "list", "--format", "json")
    table = glance("users", "list")

    assert listed.exit_code == 0, listed.stderr
    assert [(u["username"], u["role"], u["territories"]) for u in json.loads(listed.stdout)] == [
        ("hal", "admin", ["*"]),
        ("ida", "viewer", ["UK", "Việt Nam"]),
        ("jo", "viewer", []),
    ]
    assert table.exit_code == 0, table.stderr
    rows = {line.split("│")[1].strip(): line for line in table.stdout.splitlines() if line.count("│") > 2}
    assert "all territories" in rows["hal"] and "UK, Việt Nam" in rows["ida"] and "no territories" in rows["jo"]


def test_tokens_create_with_territories_stores_the_scope_the_api_reads(
    glance: Callable[..., Result], backend_engine: Engine
) -> None:
    scoped = glance("tokens", "create", "--name", "feed", "--role", "viewer", "--territories", "DE, FR")
    whole = glance("tokens", "create", "--name", "ci", "--role", "analyst")

    assert scoped.exit_code == 0, scoped.stderr
    assert "token 'feed' (viewer; sees DE, FR)" in scoped.stdout
    assert _token_scope(backend_engine, scoped.stdout.strip().splitlines()[-1]) == Scope.only(["DE", "FR"])
    assert "token 'ci' (analyst; sees all territories)" in whole.stdout
    assert _token_scope(backend_engine, whole.stdout.strip().splitlines()[-1]) == Scope.everything()


@pytest.mark.parametrize(("territories", "message"), BAD_TERRITORIES)
def test_tokens_create_refuses_unreadable_territories_and_stores_no_token(
    glance: Callable[..., Result], backend_engine: Engine, territories: str, message: str
) -> None:
    refused = glance("tokens", "create", "--name", "x", "--role", "viewer", "--territories", territories)

    assert refused.exit_code == 2
    assert message in refused.stderr
    with Session(backend_engine) as session:
        assert session.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 0


def test_the_first_admin_and_the_dashboard_token_see_every_territory(empty_database_url: str, tmp_path: Path) -> None:
    token = "t0ken-from-the-env-file-0123456789"
    env = {
        "GLANCE_DATABASE_URL": empty_database_url,
        "GLANCE_DATA_DIR": str(tmp_path),
        "GLANCE_ADMIN_PASSWORD": "correct horse battery staple",
        "GLANCE_API_TOKEN": token,
    }

    upgraded = run_glance("db", "upgrade", env=env)

    assert upgraded.returncode == 0, upgraded.stderr
    engine = make_engine(Settings(), url=empty_database_url)
    assert _user_scope(engine, "admin") == Scope.everything()
    assert _token_scope(engine, token) == Scope.everything()
    engine.dispose()


def test_the_demos_users_and_token_see_every_territory(empty_database_url: str, tmp_path: Path) -> None:
    env = {"GLANCE_DATABASE_URL": empty_database_url, "GLANCE_DATA_DIR": str(tmp_path)}

    seeded = run_glance("demo", "--seed-only", "--lines", "200", env=env)

    assert seeded.returncode == 0, seeded.stderr
    engine = make_engine(Settings(), url=empty_database_url)
    assert _user_scope(engine, "admin") == _user_scope(engine, "viewer") == Scope.everything()
    assert _token_scope(engine, (tmp_path / "api_token").read_text(encoding="utf-8").strip()) == Scope.everything()
    engine.dispose()
