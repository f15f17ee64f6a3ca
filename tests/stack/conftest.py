"""Fixtures for the stack tests: one Compose project per session, built from the working tree.

The images are built once per session (the base image and dependency layers are cached between
runs), the stack comes up with `docker compose up -d --wait`, and everything, volumes included,
is removed at the end. Without a working Docker the tests skip with the reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.stack.browser import VIEWER
from tests.stack.harness import Stack, StackCommandError, docker_unavailable_reason
from tests.stack.releases import Release, build_current_tree
from tests.stack.sales_file import SalesFile, make_sales_file


@pytest.fixture(scope="session")
def docker() -> None:
    """Skip the stack tests, with the reason, when Docker or Compose v2 does not answer."""
    reason = docker_unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def first_release(docker: None) -> Release:
    """The images of the working tree."""
    return build_current_tree()


@pytest.fixture(scope="session")
def stack(first_release: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack, up and healthy (`up -d --wait`), on its own project name and ports."""
    running = Stack.create(tmp_path_factory.mktemp("stack"), tag=first_release.tag)
    try:
        try:
            running.compose("up", "-d", "--wait", timeout_s=300)
        except StackCommandError as exc:
            logs = running.compose("logs", "--no-color", "--tail", "40", check=False).stdout
            raise StackCommandError(f"{exc}\n--- service logs\n{logs}") from exc
        yield running
    finally:
        running.down()


@pytest.fixture(scope="session")
def api_token(stack: Stack) -> str:
    """An analyst token made the way an operator makes one: `glance tokens create` in the container."""
    created = stack.glance("tokens", "create", "--name", "stack-tests", "--role", "analyst")
    return created.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def sales_file() -> SalesFile:
    """The sales file every stack test's figures come from."""
    return make_sales_file()


@pytest.fixture(scope="session")
def imported_sales(stack: Stack, api_token: str, sales_file: SalesFile) -> SalesFile:
    """The sales file imported through the sync service API."""
    uploaded = httpx.post(
        stack.sync_url + "/api/v1/imports/sales",
        headers={"Authorization": f"Bearer {api_token}"},
        files={"file": ("shop-export.csv", sales_file.content, "text/csv")},
        data={"source": "shop"},
        timeout=120,
    )
    assert uploaded.status_code == 200, uploaded.text
    report = uploaded.json()
    assert report["status"] == "succeeded", report
    assert report["rejected"] == 0, report["rejections"][:5]
    return sales_file


@pytest.fixture(scope="session")
def viewer_password(stack: Stack) -> str:
    """A dashboard viewer account (made with `glance users add` in the container); its password."""
    if stack.get(stack.dashboard_url + "/login").status_code == 404:
        pytest.skip("the dashboard app (login and pages) is not in this build yet")
    password = secrets.token_urlsafe(12)
    stack.glance("users", "add", VIEWER, "--role", "viewer", "--password-stdin", stdin=password + "\n")
    return password
