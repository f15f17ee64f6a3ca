"""Request dependencies: the bearer token and the role it must have."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from db.models import ApiToken
from services.auth import Role, verify_token
from services.runtime.database import session_scope

_bearer = HTTPBearer(auto_error=False, description="A token from `glance tokens create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require_role(needed: Role) -> Callable[[HTTPAuthorizationCredentials | None], ApiToken]:
    """A dependency that admits a live token of role `needed` or above: 401 without one, 403 below it."""

    def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> ApiToken:
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="this call needs 'Authorization: Bearer <token>'; create one with `glance tokens create`",
                headers=_CHALLENGE,
            )
        with session_scope() as session:
            token = verify_token(session, token=credentials.credentials)
        if token is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="the token is unknown or revoked; ask an admin for a new one",
                headers=_CHALLENGE,
            )
        if not Role(token.role).allows(needed):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"a {token.role} token cannot do this; it needs the {needed.value} role or above",
            )
        return token

    return check
