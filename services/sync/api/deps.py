"""Request dependencies: the app's settings, engine and a session, and who is calling (token, acting user, role,
territory scope) and what they may do.

Settings and engine come from `request.app.state` (set by `create_app`), never from the process-wide
ones, so an app built on other settings uses them throughout; tests swap them with
`app.dependency_overrides[get_app_settings]` and `[get_app_engine]`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from db.engine import session_scope
from db.scope import Scope
from services.auth import Role, get_user, scope_of, verify_token
from services.runtime.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="A token from `glance tokens create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
ACTING_USER_HEADER = "X-Glance-User"
"""Names the signed-in person a token acts for (the dashboard's calls); it can only narrow the token."""


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_app_engine(request: Request) -> Engine:
    """The app's engine, built from its settings."""
    engine: Engine = request.app.state.engine
    return engine


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
EngineDep = Annotated[Engine, Depends(get_app_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    """A session on the app's engine for reading; closed after the request."""
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    """Who a request acts as: the token, the person it acts for (if any), and the role and scope they share."""

    token: str
    user: str | None
    role: Role
    scope: Scope

    @property
    def label(self) -> str:
        """How runs and logs name the caller: `token:NAME` or `token:NAME as USER`."""
        return f"token:{self.token}" + (f" as {self.user}" if self.user else "")


def require_role(needed: Role) -> Callable[..., Caller]:
    """A dependency that admits a live token of role `needed` or above: 401 without one, 403 below it.

    With `X-Glance-User`, the call acts for that person: role and scope are what the token and the
    person both have (an unknown or inactive person is refused), so the header never widens access.
    """

    def check(
        engine: EngineDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        acting_user: Annotated[
            str | None, Header(alias=ACTING_USER_HEADER, description="The person this call acts for.")
        ] = None,
    ) -> Caller:
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="this call needs 'Authorization: Bearer <token>'; create one with `glance tokens create`",
                headers=_CHALLENGE,
            )
        with session_scope(engine) as session:  # its own transaction: recording the token's use commits
            token = verify_token(session, token=credentials.credentials)
            if token is None:
                raise HTTPException(
                    status.HTTP_401_UNAUTHORIZED,
                    detail="the token is unknown or revoked; ask an admin for a new one",
                    headers=_CHALLENGE,
                )
            role, scope = Role(token.role), scope_of(session, token=token)
            if acting_user:
                user = get_user(session, username=acting_user)
                if user is None or not user.is_active:
                    raise HTTPException(
                        status.HTTP_403_FORBIDDEN, detail=f"'{acting_user[:100]}' is not an active user of Glance"
                    )
                role = min(role, Role(user.role), key=lambda r: r.rank)
                scope = scope.narrowed(scope_of(session, user=user))
            caller = Caller(token=token.name, user=acting_user or None, role=role, scope=scope)
        if not caller.role.allows(needed):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"a {caller.role.value} caller cannot do this; it needs the {needed.value} role or above",
            )
        return caller

    return check
