"""Hardening fixtures: Glance served as real processes, tokens and users of every role, Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.auth import Role
from tests.dashboard.served import Stack, start_stack, stop_stack

ROLES = [role.value for role in Role]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass(frozen=True)
class Served:
    """The running sync service and dashboard, a token and a user per role, and their passwords."""

    stack: Stack
    sync_url: str
    tokens: dict[str, str]
    passwords: dict[str, str]

    @property
    def dashboard_url(self) -> str:
        return self.stack.dashboard_url

    def bearer(self, role: str) -> dict[str, str]:
        """The Authorization header of the token of `role`."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def add_user(stack: Stack, name: str, role: str, password: str) -> None:
    """`glance users add NAME --role ROLE --password-stdin` against the served database."""
    subprocess.run(
        [sys.executable, "-m", "services", "users", "add", name, "--role", role, "--password-stdin"],
        input=password + "\n",
        env={**os.environ, **stack.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Glance as a user runs it (seeded SQLite, both services), with one token and one user per role."""
    stack = start_stack(tmp_path_factory.mktemp("hardening"), lines=2000)
    try:
        tokens = {
            role: stack.glance("tokens", "create", "--name", f"hardening-{role}", "--role", role)
            .stdout.strip()
            .splitlines()[-1]
            for role in ROLES
        }
        passwords = {
            "admin": stack.passwords["admin"],
            "viewer": stack.passwords["viewer"],
            "analyst": "analyst-pass-1",
        }
        add_user(stack, "analyst", "analyst", passwords["analyst"])
        yield Served(stack=stack, sync_url=stack.env["GLANCE_SYNC_URL"], tokens=tokens, passwords=passwords)
    finally:
        stop_stack(stack)
