"""Migration 0007 (scope_grant): upgrading changes no one's view, and downgrading removes only the grants."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from db.engine import make_engine
from db.migrate import upgrade
from db.scope import Scope
from services.auth import create_user, get_user, scope_of, verify_token
from services.runtime.settings import Settings
from tests.conftest import throwaway_pg_database
from tests.db.test_migrations import downgrade

SECRET = "glance_a-token-made-before-scopes-existed"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def before_scopes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at 0006 holding two users and a token, as a release before scopes left it."""
    sqlite = nullcontext(f"sqlite:///{tmp_path / 'before-scopes.db'}")
    with throwaway_pg_database() if request.param == "postgres" else sqlite as url:
        engine = make_engine(Settings(), url=url)
        upgrade(engine, "0006")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO app_user (username, display_name, role, password_hash, language, is_active,"
                    " created_at) VALUES ('ann', 'Ann', 'admin', '!', '', TRUE, CURRENT_TIMESTAMP),"
                    " ('bo', 'Bo', 'viewer', '!', '', TRUE, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO api_token (name, role, token_hash, created_at)"
                    " VALUES ('ci', 'analyst', :h, CURRENT_TIMESTAMP)"
                ),
                {"h": hashlib.sha256(SECRET.encode()).hexdigest()},
            )
        yield engine
        engine.dispose()


def _scopes(engine: Engine) -> dict[str, Scope]:
    with Session(engine) as session:
        token = verify_token(session, token=SECRET)
        assert token is not None
        people = {name: get_user(session, username=name) for name in ("ann", "bo")}
        found = {name: scope_of(session, user=user) for name, user in people.items() if user is not None}
        return {**found, "token ci": scope_of(session, token=token)}


def test_users_and_tokens_from_before_0007_see_every_territory_after_it(before_scopes: Engine) -> None:
    upgrade(before_scopes)

    assert _scopes(before_scopes) == {
        "ann": Scope.everything(),
        "bo": Scope.everything(),
        "token ci": Scope.everything(),
    }


def test_an_account_added_after_0007_sees_only_what_it_is_granted(before_scopes: Engine) -> None:
    upgrade(before_scopes)
    with Session(before_scopes) as session:
        create_user(session, username="cy", role="viewer", password="x", scope=Scope.only(["IE"]))
        session.commit()
        cy = get_user(session, username="cy")
        assert cy is not None

        assert scope_of(session, user=cy) == Scope.only(["IE"])
        assert session.execute(text("SELECT count(*) FROM scope_grant")).scalar_one() == 4


def test_downgrading_drops_the_grants_and_keeps_the_accounts_and_upgrading_again_restores_them(
    before_scopes: Engine,
) -> None:
    upgrade(before_scopes)

    downgrade(before_scopes, "0006")

    with before_scopes.connect() as conn:
        assert "scope_grant" not in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT count(*) FROM app_user")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 1
    upgrade(before_scopes)
    assert set(_scopes(before_scopes).values()) == {Scope.everything()}
