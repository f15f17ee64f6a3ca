"""A real Glance stack for browser tests: a seeded SQLite database, the sync service and the dashboard."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from db.engine import make_engine, session_scope
from db.scope import Scope
from services.auth import Role, create_user, new_password, set_scope
from services.embedded.supervisor import Child, start_child, stop_children, wait_ready
from services.runtime.settings import Settings

PASSWORD_LINE = re.compile(r"Created user (\w+) with password (\S+) \(shown once\)")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """The running services, their environment and the demo users' passwords."""

    env: dict[str, str]
    dashboard_url: str
    passwords: dict[str, str]
    children: list[Child] = field(default_factory=list)

    def add_user(self, username: str, *, role: Role, scope: Scope) -> None:
        """A user of `role` who may see `scope`, stored in this stack's database; the password goes in `passwords`."""
        password = new_password()
        engine = make_engine(Settings(), url=self.env["GLANCE_DATABASE_URL"])
        try:
            with session_scope(engine) as session:
                name = username.title()
                user = create_user(session, username=username, role=role, password=password, display_name=name)
                set_scope(session, scope, user=user)
        finally:
            engine.dispose()
        self.passwords[username] = password

    def glance(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `glance ARGS` against this stack's database."""
        return subprocess.run(
            [sys.executable, "-m", "services", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


def start_stack(data_dir: Path, *, lines: int) -> Stack:
    """Seed demo data (with its admin and viewer), then serve the sync service and the dashboard."""
    sync_port, dashboard_port = free_port(), free_port()
    env = {
        "GLANCE_DATA_DIR": str(data_dir),
        "GLANCE_DATABASE_URL": f"sqlite:///{data_dir / 'glance.db'}",
        "GLANCE_REDIS_URL": "",
        "GLANCE_SECRET_KEY": secrets.token_urlsafe(32),
        "GLANCE_SYNC_URL": f"http://127.0.0.1:{sync_port}",
        "GLANCE_LOG_FORMAT": "json",
        "COLUMNS": "200",
    }
    stack = Stack(env=env, dashboard_url=f"http://127.0.0.1:{dashboard_port}", passwords={})
    seeded = stack.glance("demo", "--seed-only", "--lines", str(lines))
    stack.passwords = dict(PASSWORD_LINE.findall(seeded.stdout))
    env["GLANCE_API_TOKEN"] = (data_dir / "api_token").read_text(encoding="utf-8").strip()
    stack.children = [
        start_child("sync", port=sync_port, probe="/healthz", env=env),
        start_child("dashboard", port=dashboard_port, probe="/liveness", env=env),
    ]
    try:
        wait_ready(stack.children)
    except BaseException:
        stop_children(stack.children)
        raise
    return stack


def stop_stack(stack: Stack) -> None:
    """Stop both services."""
    stop_children(stack.children)
