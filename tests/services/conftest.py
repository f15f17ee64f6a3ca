"""Real processes the ops tests start and restart: redis-server, a throwaway Postgres cluster, the sync service."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PG_BIN = next(
    (Path(d) for d in ("/usr/lib/postgresql/15/bin", "/usr/local/bin") if (Path(d) / "pg_ctl").exists()),
    Path("/usr/lib/postgresql/15/bin"),
)
REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PROJECT_FILES = ("pyproject.toml", "setup.py", "README.md")
"""Beside the packages, what `pip wheel` needs to build Glance from a copy."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate: object, *, timeout_s: float, what: str) -> None:
    """Poll `predicate()` until it is true, or fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class RedisProcess:
    """A redis-server of the test's own, on a free port, that tests can stop, pause and restart."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), timeout_s=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections open but nothing answers, like a hung host."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server() -> Iterator[RedisProcess]:
    """A running redis-server owned by this test."""
    server = RedisProcess()
    server.start()
    yield server
    server.stop()


def _as_postgres(*command: str) -> list[str]:
    # initdb and the server refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@dataclass
class PostgresCluster:
    """A throwaway Postgres cluster on a free port, started and stopped with pg_ctl."""

    data_dir: Path
    port: int = field(default_factory=free_port)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "initdb"), "-D", str(self.data_dir / "data"), "-U", "postgres", "-A", "trust", "--no-sync"
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data_dir / "data"),
                "-o",
                options,
                "-l",
                str(self.data_dir / "server.log"),
                "-w",
                "-t",
                "30",
                "start",
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir / "data"), "-m", "fast", "-w", "stop"),
            check=False,
            capture_output=True,
        )

    def running(self) -> bool:
        return _port_open(self.port)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A Postgres cluster of the tests' own (so tests may stop it), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="glance-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    cluster = PostgresCluster(data_dir=root)
    cluster.init()
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def running_pg_cluster(pg_cluster: PostgresCluster) -> Iterator[PostgresCluster]:
    """The test cluster, running at the start of the test and again after it (even if the test stopped it)."""
    if not pg_cluster.running():
        pg_cluster.start()
    yield pg_cluster
    if not pg_cluster.running():
        pg_cluster.start()


@dataclass
class SourceCopy:
    """A copy of Glance's packages in a temporary directory, run with PYTHONPATH pointing at it."""

    root: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLANCE_")}
        # A wide terminal keeps rich tables on one line per row, so tests can read them.
        env.update(
            PYTHONPATH=str(self.root), PYTHONDONTWRITEBYTECODE="1", GLANCE_LOG_FORMAT="json", COLUMNS="300", **extra
        )
        return env

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "python"), *args],
            cwd=self.root,
            env=self.env(**extra_env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def source_copy(tmp_path: Path) -> SourceCopy:
    """The db, services and dashboard packages and what builds them, copied to a new directory and git repo."""
    root = tmp_path / "release"
    root.mkdir()
    for package in ("db", "services", "dashboard"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "BUILD_INFO.json"))
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, root / name)
    (root / ".gitignore").write_text("__pycache__/\nBUILD_INFO.json\n", encoding="utf-8")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], cwd=root, check=True)
    return SourceCopy(root=root)


@dataclass
class ServiceProcess:
    """A service started as a real process; `base_url` is where it listens."""

    process: subprocess.Popen[str]
    base_url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _run_ok(command: list[str], *, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


def install_wheel(copy: SourceCopy, destination: Path, **env: str) -> SourceCopy:
    """Build a wheel from `copy` as a user would (`pip wheel .`) and install it into `destination`.

    The result is run like `copy` (PYTHONPATH pointing at it), but holds only what the wheel holds.
    """
    wheels = destination.parent / f"{destination.name}-wheel"
    pip = [str(VENV_BIN / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    build_env = {**os.environ, "PIP_NO_INDEX": "1", **env}
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(copy.root)]
    _run_ok(build, cwd=copy.root, env=build_env)
    wheel = next(wheels.glob("glance-*.whl"))
    _run_ok([*pip, "install", "--no-deps", "--target", str(destination), str(wheel)], cwd=copy.root, env=build_env)
    return SourceCopy(root=destination)


def start_service(
    copy: SourceCopy, service: str, *, probe: str, database_url: str, log_dir: Path, timeout_s: float = 90
) -> ServiceProcess:
    """Start `glance serve <service>` from `copy` on a free port and wait until `probe` answers 200."""
    port = free_port()
    log = log_dir / f"{service}-{port}.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "services", "serve", service, "--port", str(port)],
        cwd=copy.root,
        env=copy.env(GLANCE_DATABASE_URL=database_url, GLANCE_DATA_DIR=str(log_dir / "data")),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    started = ServiceProcess(process=process, base_url=f"http://127.0.0.1:{port}", log=log)

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{service} exited with {process.returncode}:\n{log.read_text()}")
        try:
            return httpx.get(f"{started.base_url}{probe}", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, timeout_s=timeout_s, what=f"{service} to answer {probe}")
    return started


def start_sync(copy: SourceCopy, *, database_url: str, log_dir: Path) -> ServiceProcess:
    """Start the sync service from `copy` and wait until it answers `/healthz`."""
    return start_service(copy, "sync", probe="/healthz", database_url=database_url, log_dir=log_dir)
