"""Passwords, roles and API tokens, on SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

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


def test_a_tokens_last_use_is_kept_to_the_minute_without_a_write_per_call(session: Session) -> None:
    secret = create_token(session, name="poller", role="viewer")
    first = verify_token(session, token=secret)
    assert first is not None and first.last_used_at is not None
    seen = first.last_used_at
    again = verify_token(session, token=secret)
    assert again is not None and again.last_used_at == seen, "a second call within the minute writes nothing"
    again.last_used_at = seen - timedelta(minutes=2)
    later = verify_token(session, token=secret)
    assert later is not None and later.last_used_at is not None and later.last_used_at >= seen


def test_roles_are_ordered() -> None:
    assert Role.admin.allows(Role.analyst) and Role.analyst.allows(Role.viewer)
    assert not Role.viewer.allows(Role.analyst)
