"""Storing a users file's checked rows: each account through `services.auth`, then the territories it may see."""

from __future__ import annotations

import polars as pl
from sqlalchemy.orm import Session

from db.merge import MergeResult
from db.scope import Scope
from services.auth import get_user, scope_of, set_scope, store_users

SCOPE_FIELD = "territories"


def store_people(session: Session, *, frame: pl.DataFrame) -> MergeResult:
    """Upsert users on username with their territories, in the caller's transaction.

    A row's `territories` (checked `Scope` text) replaces the user's scope. Without that column
    a new user gets every territory, as `glance users add` gives, and an existing user keeps
    theirs. A user whose territories alone change counts as updated.
    """
    inserted = updated = unchanged = 0
    for row in frame.iter_slices(1):  # argon2 is slow by design and user files are small
        stored = store_users(session, frame=row)
        user = get_user(session, username=row.get_column("username")[0])
        assert user is not None  # store_users has just added or found them
        written: str | None = row.get_column(SCOPE_FIELD)[0]
        if stored.inserted:
            set_scope(session, Scope.everything() if written is None else Scope.parse(written), user=user)
            inserted += 1
        elif written is not None and Scope.parse(written) != scope_of(session, user=user):
            set_scope(session, Scope.parse(written), user=user)
            updated += 1
        else:
            updated += stored.updated
            unchanged += stored.unchanged
    return MergeResult(inserted=inserted, updated=updated, unchanged=unchanged)
