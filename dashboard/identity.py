"""Who is using this session: the signed-in user as the dashboard sees them, and "view as" for admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import structlog
from sqlalchemy.orm import Session

from dashboard.text import Translator
from db.scope import Scope
from services.auth import Role, get_user, scope_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SessionUser:
    """The signed-in person: name, role, territories and preferences, read from the database per session."""

    username: str
    display_name: str
    role: Role
    language: str
    member_since: date
    scope: Scope
    """The territories this person may see; every figure of the session is asked for under it."""

    @property
    def name(self) -> str:
        """The display name, or the username when none is set."""
        return self.display_name or self.username

    def can(self, needed: Role) -> bool:
        """True when this user's role is `needed` or above."""
        return self.role.allows(needed)

    @property
    def manages_people(self) -> bool:
        """An admin who sees every territory: only they may set territories or view as someone else.

        An admin limited to some territories would otherwise read other territories' names and
        figures through the people they manage.
        """
        return self.can(Role.admin) and self.scope.is_everything


class ViewAsRefused(Exception):
    """A "view as" that may not happen; `reason` is the text key that says why."""

    def __init__(self, reason: str, *, username: str) -> None:
        super().__init__(f"{reason}: {username}")
        self.reason = reason
        self.username = username


def load_user(session: Session, *, username: str) -> SessionUser | None:
    """The active user called `username` with their stored territories, or None (unknown or deactivated)."""
    user = get_user(session, username=username)
    if user is None or not user.is_active:
        return None
    return SessionUser(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        language=user.language,
        member_since=user.created_at.date(),
        scope=scope_of(session, user=user),
    )


def view_as(session: Session, *, admin: SessionUser, username: str) -> SessionUser:
    """The user `admin` asked to see the dashboard as (their role and territories); logged, refused to non-admins."""
    if not admin.manages_people:
        log.warning("view_as_refused", admin=admin.username, role=admin.role.value, target=username[:100])
        raise ViewAsRefused("view_as.not_admin", username=username)
    target = load_user(session, username=username)
    if target is None:
        log.warning("view_as_refused", admin=admin.username, target=username[:100], reason="no such active user")
        raise ViewAsRefused("view_as.unknown", username=username)
    log.info(
        "view_as",
        admin=admin.username,
        target=target.username,
        role=target.role.value,
        territories=target.scope.text(),
    )
    return target


def territories_text(scope: Scope, tr: Translator) -> str:
    """A scope for people, in their language: every territory, none, or the names."""
    if scope.territories is None:
        return tr("scope.every")
    return ", ".join(scope.territories) or tr("scope.nothing")
