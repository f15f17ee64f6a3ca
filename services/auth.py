"""People and API tokens: argon2 password hashes, roles, territory scopes, bearer tokens stored as SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from db.merge import MergeResult
from db.models import ApiToken, AppUser, ScopeGrant, table_of
from db.scope import EVERY_TERRITORY, Scope
from db.types import utcnow

_hasher = PasswordHasher()
NO_PASSWORD = "!"
"""Stored instead of a hash for an account with no password yet: no password ever matches it."""
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
"""A language code as users and browsers write it: en, vi, en-GB (16 characters at most)."""


class Role(StrEnum):
    """What a person or token may do; each role includes the ones before it."""

    viewer = "viewer"
    analyst = "analyst"
    admin = "admin"

    @property
    def rank(self) -> int:
        """Position in viewer < analyst < admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """True when this role is `needed` or above it."""
        return self.rank >= needed.rank


class AccountError(ValueError):
    """A user or token request that cannot be done (duplicate name, unknown user, bad role)."""


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """True when `password` is the one `password_hash` was made from."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A random password a person can type (about 100 bits)."""
    return secrets.token_urlsafe(16)


def _role(role: str | Role) -> Role:
    try:
        return Role(str(role).lower())
    except ValueError as exc:
        raise AccountError(f"'{role}' is not a role; use viewer, analyst or admin") from exc


def get_user(session: Session, *, username: str) -> AppUser | None:
    """The user called `username`, if any."""
    return session.execute(select(AppUser).where(col(AppUser.username) == username)).scalar_one_or_none()


def create_user(
    session: Session,
    *,
    username: str,
    role: str | Role,
    password: str,
    display_name: str = "",
    language: str = "",
    scope: Scope = Scope.everything(),
) -> AppUser:
    """Add a user with an argon2-hashed password and the territories they may see (the caller commits)."""
    if not username.strip():
        raise AccountError("a username cannot be blank")
    if get_user(session, username=username) is not None:
        raise AccountError(f"a user called '{username}' already exists")
    user = AppUser(
        username=username,
        role=_role(role).value,
        password_hash=hash_password(password),
        display_name=display_name,
        language=language,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    set_scope(session, scope, user=user)
    return user


def authenticate(session: Session, *, username: str, password: str) -> AppUser | None:
    """The active user whose password this is, or None."""
    user = get_user(session, username=username)
    if user is None or not user.is_active or not password_matches(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(session: Session, *, username: str, password: str) -> AppUser:
    """Replace a user's password (the caller commits)."""
    user = get_user(session, username=username)
    if user is None:
        raise AccountError(f"there is no user called '{username}'")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.flush()
    return user


def set_language(session: Session, *, username: str, language: str) -> AppUser:
    """Store the language a user reads the dashboard in; "" means the browser's (the caller commits)."""
    user = get_user(session, username=username)
    if user is None:
        raise AccountError(f"there is no user called '{username}'")
    if language and not LANGUAGE_TAG.fullmatch(language):
        raise AccountError(f"'{language[:20]}' is not a language code; use e.g. en or vi")
    user.language = language
    session.flush()
    return user


def store_users(session: Session, *, frame: pl.DataFrame) -> MergeResult:
    """Upsert checked user rows on username; a blank password keeps the current one."""
    inserted = updated = unchanged = 0
    for row in frame.iter_rows(named=True):  # argon2 is slow by design; user files are small
        user = get_user(session, username=row["username"])
        password = row["password"]
        if user is None:
            session.add(
                AppUser(
                    username=row["username"],
                    role=row["role"],
                    display_name=row["display_name"],
                    language=row["language"],
                    password_hash=hash_password(password) if password else NO_PASSWORD,
                    password_changed_at=utcnow() if password else None,
                )
            )
            inserted += 1
            continue
        changes = {k: row[k] for k in ("role", "display_name", "language") if getattr(user, k) != row[k]}
        if password and not password_matches(user.password_hash, password):
            changes |= {"password_hash": hash_password(password), "password_changed_at": utcnow()}
        for name, value in changes.items():
            setattr(user, name, value)
        updated += bool(changes)
        unchanged += not changes
    session.flush()
    return MergeResult(inserted=inserted, updated=updated, unchanged=unchanged)


_grants = table_of(ScopeGrant)


def _holder(user: AppUser | None, token: ApiToken | None) -> tuple[str, int]:
    holder = ("user_id", user.id) if user is not None else ("token_id", token.id if token else None)
    if holder[1] is None:
        raise AccountError("a scope belongs to a stored user or token")
    return holder[0], holder[1]


def _granted(territories: Iterable[str]) -> Scope:
    """The scope stored grant rows make: `*` among them is every territory, none at all is nothing."""
    names = set(territories)
    return Scope.everything() if EVERY_TERRITORY in names else Scope(tuple(sorted(names)))


def scope_of(session: Session, *, user: AppUser | None = None, token: ApiToken | None = None) -> Scope:
    """The territories a user or token may see, as stored; no grant at all is the empty scope (sees nothing)."""
    column, holder = _holder(user, token)
    return _granted(session.execute(select(_grants.c.territory).where(_grants.c[column] == holder)).scalars())


def set_scope(session: Session, scope: Scope, *, user: AppUser | None = None, token: ApiToken | None = None) -> None:
    """Replace the territories a user or token may see (the caller commits)."""
    column, holder = _holder(user, token)
    session.execute(delete(_grants).where(_grants.c[column] == holder))
    names = [EVERY_TERRITORY] if scope.territories is None else list(scope.territories)
    for name in names:
        session.add(ScopeGrant(territory=name, **{column: holder}))
    session.flush()


def set_user_scope(session: Session, *, username: str, scope: Scope) -> AppUser:
    """Replace the territories the user called `username` may see (the caller commits)."""
    user = get_user(session, username=username)
    if user is None:
        raise AccountError(f"there is no user called '{username}'")
    set_scope(session, scope, user=user)
    return user


@dataclass(frozen=True)
class UserAccess:
    """A user as an admin reviews them: who, which role, and which territories."""

    username: str
    display_name: str
    role: str
    active: bool
    scope: Scope


def list_users(session: Session) -> list[UserAccess]:
    """Every user with role and territory scope, by username."""
    grants: dict[int, list[str]] = defaultdict(list)
    for user_id, territory in session.execute(
        select(_grants.c.user_id, _grants.c.territory).where(_grants.c.user_id.is_not(None))
    ).all():
        grants[user_id].append(territory)
    users = session.execute(select(AppUser).order_by(col(AppUser.username))).scalars()
    return [
        UserAccess(
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            active=user.is_active,
            scope=_granted(grants[user.id] if user.id is not None else ()),
        )
        for user in users
    ]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, name: str, role: str | Role, scope: Scope = Scope.everything()) -> str:
    """Create an API token seeing `scope` and return its secret; only its SHA-256 is stored, so show it once."""
    if not name.strip():
        raise AccountError("a token name cannot be blank")
    if session.execute(select(ApiToken).where(col(ApiToken.name) == name)).scalar_one_or_none() is not None:
        raise AccountError(f"a token called '{name}' already exists; revoke it or pick another name")
    secret = f"glance_{secrets.token_urlsafe(32)}"
    _add_token(session, name=name, role=role, secret=secret, scope=scope)
    return secret


def _add_token(session: Session, *, name: str, role: str | Role, secret: str, scope: Scope) -> None:
    token = ApiToken(name=name, role=_role(role).value, token_hash=_token_hash(secret))
    session.add(token)
    session.flush()
    set_scope(session, scope, token=token)


def register_token(
    session: Session, *, name: str, role: str | Role, token: str, scope: Scope = Scope.everything()
) -> bool:
    """Accept a secret chosen elsewhere (e.g. `GLANCE_API_TOKEN` from `.env`) seeing `scope`; False if already known."""
    if len(token) < 16:
        raise AccountError(f"the token for '{name}' is too short; use at least 16 random characters")
    if session.execute(select(ApiToken).where(col(ApiToken.token_hash) == _token_hash(token))).scalar_one_or_none():
        return False
    _add_token(session, name=name, role=role, secret=token, scope=scope)
    return True


TOKEN_USE_RESOLUTION = timedelta(minutes=1)
"""How exactly a token's last use is kept: a token polled every second writes once a minute, not every call."""


def verify_token(session: Session, *, token: str) -> ApiToken | None:
    """The live token with this secret (its last use recorded to the minute), or None when unknown or revoked."""
    found = session.execute(select(ApiToken).where(col(ApiToken.token_hash) == _token_hash(token))).scalar_one_or_none()
    if found is None or found.revoked_at is not None:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at >= TOKEN_USE_RESOLUTION:
        found.last_used_at = now
        session.flush()
    return found


def revoke_token(session: Session, *, name: str) -> ApiToken:
    """Revoke the token called `name` (it stops working at once)."""
    found = session.execute(select(ApiToken).where(col(ApiToken.name) == name)).scalar_one_or_none()
    if found is None:
        raise AccountError(f"there is no token called '{name}'")
    if found.revoked_at is None:
        found.revoked_at = utcnow()
    session.flush()
    return found
