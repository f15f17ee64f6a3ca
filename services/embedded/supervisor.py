"""Run the sync service and the dashboard as child processes for the embedded default."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx


class StartupError(RuntimeError):
    """A child service did not come up in time."""


@dataclass
class Child:
    """One supervised service and the URL that proves it is up."""

    name: str
    url: str
    probe: str
    process: subprocess.Popen[bytes]


def start_child(name: str, *, port: int, probe: str, env: dict[str, str]) -> Child:
    """Start `glance serve NAME --port PORT` with the given environment."""
    process = subprocess.Popen(
        [sys.executable, "-m", "services", "serve", name, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **env},
        start_new_session=True,
    )
    return Child(name=name, url=f"http://127.0.0.1:{port}", probe=probe, process=process)


def wait_ready(children: list[Child], *, timeout_s: float = 90.0) -> None:
    """Poll each child's probe URL until it answers 200, or raise naming the one that did not."""
    deadline = time.monotonic() + timeout_s
    pending = list(children)
    while pending:
        child = pending[0]
        if child.process.poll() is not None:
            raise StartupError(f"{child.name} exited with code {child.process.returncode} during start-up")
        try:
            if httpx.get(child.url + child.probe, timeout=2.0).status_code == 200:
                pending.pop(0)
                continue
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise StartupError(f"{child.name} did not answer {child.url}{child.probe} within {timeout_s:.0f} s")
        time.sleep(0.3)


def stop_children(children: list[Child], *, grace_s: float = 10.0) -> None:
    """SIGTERM every child, then SIGKILL any still running after the grace period."""
    for child in children:
        if child.process.poll() is None:
            os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


def supervise(children: list[Child]) -> int:
    """Block until a child exits, Ctrl-C or SIGTERM; return the exit code (the caller stops the rest)."""

    def _on_sigterm(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        while True:
            for child in children:
                if child.process.poll() is not None:
                    return child.process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
