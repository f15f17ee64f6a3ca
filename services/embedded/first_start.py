"""First start of the embedded default: secrets in the data dir, demo data, demo users, API token.

Everything here runs once: a second start finds the data, users and files already in place. The
first admin and the dashboard's token see every territory: the admin grants narrower scopes
(`glance users set-scope`), and the token acts for signed-in people, whose own scope narrows it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AppUser, SalesLine
from db.scope import Scope
from services.auth import create_token, create_user, register_token
from services.embedded.demo import DemoPlan, SeedResult, seed_demo

DEMO_USERS = (("admin", "admin", "Demo Admin"), ("viewer", "viewer", "Demo Viewer"))
DASHBOARD_TOKEN_NAME = "dashboard"


@dataclass
class FirstStart:
    """What this start created (empty on every later start)."""

    seeded: SeedResult | None = None
    passwords: dict[str, str] = field(default_factory=dict)
    api_token: str = ""


def ensure_first_admin(session: Session, *, password: str | None) -> bool:
    """Create the `admin` user with `password` when the database has no users yet."""
    if not password or session.execute(select(func.count()).select_from(AppUser)).scalar_one():
        return False
    create_user(
        session,
        username="admin",
        role="admin",
        password=password,
        display_name="Administrator",
        scope=Scope.everything(),
    )
    return True


def ensure_service_token(session: Session, *, token: str | None) -> bool:
    """Register the dashboard's `GLANCE_API_TOKEN` (by its hash) so the sync service accepts it."""
    if not token:
        return False
    name = f"{DASHBOARD_TOKEN_NAME}-{hashlib.sha256(token.encode()).hexdigest()[:8]}"
    return register_token(session, name=name, role="analyst", token=token, scope=Scope.everything())


def prepare_demo(session: Session, *, token_file: Path, plan: DemoPlan, admin_password: str | None) -> FirstStart:
    """Seed demo data and create demo users and the dashboard's API token if absent.

    The caller writes `api_token` to `token_file` after the transaction commits.
    """
    created = FirstStart()
    if not session.execute(select(func.count()).select_from(SalesLine)).scalar_one():
        created.seeded = seed_demo(session, plan=plan)
    if not session.execute(select(func.count()).select_from(AppUser)).scalar_one():
        for username, role, display_name in DEMO_USERS:
            password = admin_password if (username == "admin" and admin_password) else secrets.token_urlsafe(12)
            create_user(
                session,
                username=username,
                role=role,
                password=password,
                display_name=display_name,
                scope=Scope.everything(),
            )
            created.passwords[username] = password
    if not token_file.exists():
        created.api_token = create_token(
            session, name=f"{DASHBOARD_TOKEN_NAME}-{secrets.token_hex(3)}", role="analyst", scope=Scope.everything()
        )
    return created
