"""Drive a Compose project of Glance from tests: compose commands, container exec, HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "compose.yaml"
# Lifts the read-only root of the sync service, for the test that changes code inside a container.
WRITABLE_SYNC_FILE = Path(__file__).resolve().parent / "writable-sync.yaml"
T = TypeVar("T")


class StackCommandError(AssertionError):
    """A docker or deploy command failed; the message carries its output."""


def run(
    args: list[str],
    *,
    timeout_s: float = 600,
    check: bool = True,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command with a timeout; on failure raise with its output so the test report shows why."""
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout_s, input=stdin, env={**os.environ, **(env or {})}
    )
    if check and result.returncode != 0:
        raise StackCommandError(
            f"`{' '.join(args)}` exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


def docker_unavailable_reason() -> str:
    """Why the stack tests cannot run here, or "" when Docker and Compose v2 both answer."""
    try:
        if run(["docker", "info"], timeout_s=20, check=False).returncode != 0:
            return "Docker is not answering (`docker info` failed); run deploy/install-docker"
        if run(["docker", "compose", "version"], timeout_s=20, check=False).returncode != 0:
            return "the Compose v2 plugin is missing; run deploy/install-docker"
    except FileNotFoundError:
        return "the docker command is not installed; run deploy/install-docker"
    except subprocess.TimeoutExpired:
        return "Docker did not answer within 20 s"
    return ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], T | None], *, what: str, timeout_s: float = 120, every_s: float = 1.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"gave up waiting for {what} after {timeout_s:.0f} s (last: {last!r})")


@dataclass
class Stack:
    """One Compose project with its own env file, ports and volumes."""

    project: str
    env_file: Path
    sync_port: int
    dashboard_port: int
    admin_password: str

    @classmethod
    def create(cls, directory: Path, *, tag: str) -> Stack:
        """Write an env file with fresh secrets and free ports for a uniquely named project."""
        stack = cls(
            project=f"glance-stack-{secrets.token_hex(4)}",
            env_file=directory / "stack.env",
            sync_port=free_port(),
            dashboard_port=free_port(),
            admin_password=secrets.token_urlsafe(16),
        )
        values = {
            "GLANCE_TAG": tag,
            "GLANCE_DB_PASSWORD": secrets.token_urlsafe(16),
            "GLANCE_SECRET_KEY": secrets.token_urlsafe(32),
            "GLANCE_ADMIN_PASSWORD": stack.admin_password,
            "GLANCE_API_TOKEN": secrets.token_urlsafe(32),
            "GLANCE_SYNC_BIND": f"127.0.0.1:{stack.sync_port}",
            "GLANCE_DASHBOARD_BIND": f"127.0.0.1:{stack.dashboard_port}",
            # The address the browser uses, so the dashboard accepts its websocket origin.
            "GLANCE_PUBLIC_URL": f"http://127.0.0.1:{stack.dashboard_port}",
            # Fast health checks so `up --wait` and unhealthy states show up within seconds.
            "GLANCE_HEALTH_INTERVAL": "2s",
        }
        stack.env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
        return stack

    @property
    def sync_url(self) -> str:
        return f"http://127.0.0.1:{self.sync_port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    @property
    def app_urls(self) -> dict[str, str]:
        """The published URL of each Glance service."""
        return {"sync": self.sync_url, "dashboard": self.dashboard_url}

    @property
    def tag(self) -> str:
        """The GLANCE_TAG the env file currently names (deploy/release rewrites it)."""
        for line in self.env_file.read_text(encoding="utf-8").splitlines():
            if line.startswith("GLANCE_TAG="):
                return line.partition("=")[2]
        raise AssertionError(f"{self.env_file} has no GLANCE_TAG line")

    def project_args(self) -> list[str]:
        """The options that select this project, for docker compose and the deploy scripts."""
        return ["--env-file", str(self.env_file), "--project", self.project]

    def compose(
        self,
        *args: str,
        timeout_s: float = 600,
        check: bool = True,
        stdin: str | None = None,
        overrides: tuple[Path, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        """`docker compose` on this project (with `overrides` merged over compose.yaml, in order)."""
        files = [arg for path in (COMPOSE_FILE, *overrides) for arg in ("-f", str(path))]
        command = ["docker", "compose", *files, "--env-file", str(self.env_file), "-p", self.project]
        return run([*command, *args], timeout_s=timeout_s, check=check, stdin=stdin)

    def deploy(self, script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one of the deploy/ scripts against this project."""
        command = [str(REPO / "deploy" / script)]
        if script == "backup":
            return run([*command, *self.project_args(), *args], check=check)
        return run([*command, *args, *self.project_args()], check=check)

    def glance(
        self, *args: str, service: str = "sync", stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the `glance` CLI inside a running service container."""
        return self.compose("exec", "-T", service, "glance", *args, stdin=stdin, check=check, timeout_s=120)

    def get(self, url: str, *, token: str | None = None, timeout_s: float = 15) -> httpx.Response:
        """GET with a timeout (a hanging service fails the test rather than stalling it)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(url, headers=headers, timeout=timeout_s)

    def health(self, service: str) -> str:
        """Docker's health status of the service's container: starting, healthy or unhealthy."""
        container = self.compose("ps", "-q", service).stdout.strip()
        if not container:
            return "not running"
        state = json.loads(run(["docker", "inspect", "--format", "{{json .State}}", container]).stdout)
        return str(state.get("Health", {}).get("Status", state.get("Status", "")))

    def inspect(self, service: str) -> dict[str, Any]:
        """`docker inspect` of the service's container, running or exited (one-shot `migrate`)."""
        container = self.compose("ps", "--all", "-q", service).stdout.strip()
        assert container, f"{service} has no container in {self.project}"
        details: dict[str, Any] = json.loads(run(["docker", "inspect", container]).stdout)[0]
        return details

    def readiness(self) -> httpx.Response | None:
        """The sync service's `/readyz` answer, or None while it cannot be reached."""
        try:
            return self.get(self.sync_url + "/readyz", timeout_s=10)
        except httpx.TransportError:
            return None

    def down(self) -> None:
        """Remove the project's containers, networks and volumes."""
        self.compose(
            "--profile",
            "backup",
            "--profile",
            "proxy",
            "down",
            "--volumes",
            "--remove-orphans",
            "--timeout",
            "5",
            check=False,
        )
