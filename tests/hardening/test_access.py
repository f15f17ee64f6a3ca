"""Access, proved against real processes: tokens on every API call, throttled sign-in, cookies, security headers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from dashboard.login_throttle import SharedCounts
from services.embedded.supervisor import Child, stop_children, wait_ready
from services.runtime.security_headers import API_POLICY, DASHBOARD_POLICY
from services.runtime.settings import Settings
from services.sync.app import create_app
from tests.conftest import REDIS_URL
from tests.dashboard.served import free_port
from tests.hardening.conftest import Served, add_user

PUBLIC = {"/healthz", "/readyz", "/version", "/metrics"}
PASSWORD = "correct-horse-battery-9"
WRONG = "wrong-password-Zq81x"


@dataclass(frozen=True)
class LoggedDashboard:
    """A dashboard process of this module's own whose log the tests read."""

    url: str
    log: Path


@contextmanager
def dashboard_process(served: Served, log: Path, **env: str) -> Iterator[LoggedDashboard]:
    """One more dashboard process on the served database, logging to `log`, with extra environment."""
    port = free_port()
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "services", "serve", "dashboard", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **served.stack.env, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    child = Child(name="dashboard", url=f"http://127.0.0.1:{port}", probe="/liveness", process=process)
    try:
        wait_ready([child])
        yield LoggedDashboard(url=child.url, log=log)
    finally:
        stop_children([child])


@pytest.fixture(scope="module")
def logged_dashboard(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedDashboard]:
    """A second dashboard on the served database, logging to a file, with its own sign-in counts."""
    add_user(served.stack, "target", "viewer", PASSWORD)
    with dashboard_process(served, tmp_path_factory.mktemp("dash-log") / "dashboard.log") as dashboard:
        yield dashboard


def _sign_in(url: str, username: str, password: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{url}/login",
        data={"username": username, "password": password, "next": "/"},
        headers=headers,
        follow_redirects=False,
        timeout=30,
    )


def test_every_sync_endpoint_but_the_probes_refuses_a_call_without_a_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'g.db'}")
    app = create_app(settings)
    with TestClient(app) as client:
        for path, item in app.openapi()["paths"].items():
            if path in PUBLIC:
                continue
            for method in item:
                concrete = path.replace("{run_id}", "1").replace("{kind}", "sales")
                response = client.request(method.upper(), concrete)
                assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"


def test_the_sixth_failed_sign_in_within_a_minute_is_refused_even_with_the_right_password(
    logged_dashboard: LoggedDashboard,
) -> None:
    statuses = [_sign_in(logged_dashboard.url, "target", WRONG).status_code for _ in range(5)]
    assert statuses == [401] * 5
    refused = _sign_in(logged_dashboard.url, "target", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in refused.text
    assert "user" not in refused.cookies
    # Another account from the same address is not locked out by target's failures.
    assert _sign_in(logged_dashboard.url, "viewer", "also-wrong").status_code == 401


@pytest.mark.redis
def test_dashboard_processes_on_redis_share_the_failed_sign_in_count(served: Served, tmp_path: Path) -> None:
    username = f"shared-{uuid.uuid4().hex[:8]}"  # keys of this run's own in the shared Redis
    add_user(served.stack, username, "viewer", PASSWORD)
    try:
        with ExitStack() as running:
            one, two = (
                running.enter_context(dashboard_process(served, tmp_path / f"{name}.log", GLANCE_REDIS_URL=REDIS_URL))
                for name in ("one", "two")
            )
            statuses = [
                _sign_in(url, username, WRONG).status_code for url in (one.url, two.url, one.url, two.url, one.url)
            ]
            assert statuses == [401] * 5

            for dashboard in (two, one):
                refused = _sign_in(dashboard.url, username, PASSWORD)
                assert refused.status_code == 429 and "user" not in refused.cookies
    finally:
        key = SharedCounts(REDIS_URL, connect_timeout_s=1, socket_timeout_s=1).key(
            username=username, address="127.0.0.1"
        )
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).delete(key)


def test_with_redis_unreachable_sign_in_works_and_failures_are_still_limited(served: Served, tmp_path: Path) -> None:
    username = f"local-{uuid.uuid4().hex[:8]}"
    add_user(served.stack, username, "viewer", PASSWORD)
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with dashboard_process(served, tmp_path / "dashboard.log", GLANCE_REDIS_URL=closed) as dashboard:
        assert _sign_in(dashboard.url, username, PASSWORD).status_code == 302
        assert [_sign_in(dashboard.url, username, WRONG).status_code for _ in range(5)] == [401] * 5
        assert _sign_in(dashboard.url, username, PASSWORD).status_code == 429
        assert _sign_in(dashboard.url, "viewer", served.passwords["viewer"]).status_code == 302
    assert dashboard.log.read_text(encoding="utf-8").count("login_throttle_local_only") == 1


def test_failed_sign_ins_are_logged_with_the_username_and_never_the_password(
    logged_dashboard: LoggedDashboard,
) -> None:
    _sign_in(logged_dashboard.url, "nobody", WRONG)
    text = logged_dashboard.log.read_text(encoding="utf-8")
    assert '"login_failed"' in text and '"username": "nobody"' in text
    assert WRONG not in text and PASSWORD not in text


def test_the_session_cookie_is_httponly_and_lax_and_secure_only_over_tls(served: Served) -> None:
    plain = _sign_in(served.dashboard_url, "admin", served.passwords["admin"])
    assert plain.status_code == 302
    cookie = next(v for v in plain.headers.get_list("set-cookie") if v.startswith("user="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags
    proxied = _sign_in(served.dashboard_url, "admin", served.passwords["admin"], **{"X-Forwarded-Proto": "https"})
    cookie = next(v for v in proxied.headers.get_list("set-cookie") if v.startswith("user="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "secure"} <= flags


@pytest.mark.parametrize("path", ["/healthz", "/version", "/api/v1/imports", "/openapi.json"])
def test_the_sync_service_sends_security_headers(served: Served, path: str) -> None:
    response = httpx.get(served.sync_url + path, timeout=30)
    assert response.headers["content-security-policy"] == API_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_the_api_docs_page_may_load_swagger_but_not_be_framed(served: Served) -> None:
    response = httpx.get(served.sync_url + "/docs", timeout=30)
    policy = response.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("path", ["/login", "/liveness", "/version", "/"])
def test_the_dashboard_sends_security_headers(served: Served, path: str) -> None:
    response = httpx.get(served.dashboard_url + path, timeout=30, follow_redirects=False)
    assert response.headers["content-security-policy"] == DASHBOARD_POLICY
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
