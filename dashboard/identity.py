"""Who is using this session: the signed-in user as the dashboard sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from services.auth import Role, get_user


@dataclass(frozen=True)
class SessionUser:
    """The signed-in person: name, role and preferences, read from the database per session."""

    username: str
    display_name: str
    role: Role
    language: str
    member_since: date

    @property
    def name(self) -> str:
        """The display name, or the username when none is set."""
        return self.display_name or self.username

    def can(self, needed: Role) -> bool:
        """True when this user's role is `needed` or above."""
        return self.role.allows(needed)


def load_user(session: Session, *, username: str) -> SessionUser | None:
    """The active user called `username`, or None (unknown or deactivated)."""
    user = get_user(session, username=username)
    if user is None or not user.is_active:
        return None
    return SessionUser(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        language=user.language,
        member_since=user.created_at.date(),
    )
