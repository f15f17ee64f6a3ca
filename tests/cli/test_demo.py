"""`glance demo`: the one-command embedded default, started and stopped as a user would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_demo(data_dir: Path, sync_port: int, dashboard_port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "GLANCE_DATA_DIR": str(data_dir), "GLANCE_DATABASE_URL": "", "GLANCE_REDIS_URL": ""}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services",
            "demo",
            "--lines",
            "3000",
            "--sync-port",
            str(sync_port),
            "--dashboard-port",
            str(dashboard_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(url: str, process: subprocess.Popen[str], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"demo exited early: {process.stdout.read() if process.stdout else ''}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output


def port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_demo_serves_both_services_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    sync_port, dashboard_port = free_port(), free_port()

    first = start_demo(tmp_path, sync_port, dashboard_port)
    wait_for(f"http://127.0.0.1:{sync_port}/healthz", first)
    wait_for(f"http://127.0.0.1:{dashboard_port}/liveness", first)
    code, output = stop(first)

    assert code == 0, output
    assert "Seeded demo data: 3,000 sales lines" in output
    assert "Created user admin with password" in output
    assert f"http://127.0.0.1:{dashboard_port}" in output
    assert port_closed(sync_port) and port_closed(dashboard_port)
    assert (tmp_path / "glance.db").exists()

    second = start_demo(tmp_path, sync_port, dashboard_port)
    wait_for(f"http://127.0.0.1:{sync_port}/healthz", second)
    code, output = stop(second)

    assert code == 0, output
    assert "Seeded" not in output
    assert "Created user" not in output
    report = subprocess.run(
        [sys.executable, "-m", "services", "report", "sales", "--by", "year", "--format", "json"],
        env={**os.environ, "GLANCE_DATA_DIR": str(tmp_path), "GLANCE_DATABASE_URL": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert '"data_version": 1' in report.stdout
