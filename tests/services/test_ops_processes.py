"""Services run from a copy of a release: readiness names changed or missing code; deploys verify."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.services.conftest import (
    PostgresCluster,
    ServiceProcess,
    SourceCopy,
    install_wheel,
    start_service,
    start_sync,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def release(source_copy: SourceCopy, tmp_path: Path) -> Iterator[SourceCopy]:
    """Glance installed from a wheel of a committed copy (as on a plain VM), with an embedded database at head."""
    installed = install_wheel(source_copy, tmp_path / "site-packages")
    migrated = installed.run("-m", "services", "db", "upgrade", GLANCE_DATABASE_URL=_db_url(tmp_path))
    assert migrated.returncode == 0, migrated.stderr
    yield installed


def _db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'glance.db'}"


@pytest.fixture
def services_started(tmp_path: Path) -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        service.stop()


def _head(copy: SourceCopy) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=copy.root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_clean_release_is_ready_and_reports_its_revision(
    release: SourceCopy, source_copy: SourceCopy, tmp_path: Path, services_started: list[ServiceProcess]
) -> None:
    sync = start_sync(release, database_url=_db_url(tmp_path), log_dir=tmp_path)
    services_started.append(sync)
    ready = httpx.get(f"{sync.base_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    version = httpx.get(f"{sync.base_url}/version", timeout=10).json()
    assert version["revision"] == _head(source_copy) and version["origin"] == "manifest"
    assert version["digest_ok"] and version["schema_at_head"] and version["data_version"] == 0
    page = httpx.get(f"{sync.base_url}/metrics", timeout=10).text
    assert (
        f'revision="{_head(source_copy)}"' in page and 'glance_http_requests_total{method="GET",route="/readyz"' in page
    )


def test_a_module_changed_after_the_manifest_fails_readiness_naming_it(
    release: SourceCopy, tmp_path: Path, services_started: list[ServiceProcess]
) -> None:
    with (release.root / "services" / "sync" / "app.py").open("a") as module:
        module.write("\n# hot-patched on the server\n")
    sync = start_sync(release, database_url=_db_url(tmp_path), log_dir=tmp_path)
    services_started.append(sync)
    ready = httpx.get(f"{sync.base_url}/readyz", timeout=10)
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["failing"] == ["sources"]
    sources = next(check for check in body["checks"] if check["name"] == "sources")
    assert "services/sync/app.py (module services.sync.app): changed" in sources["detail"]
    assert not httpx.get(f"{sync.base_url}/version", timeout=10).json()["digest_ok"]


def test_a_module_missing_from_the_release_fails_readiness_naming_it_without_a_crash(
    release: SourceCopy, tmp_path: Path, services_started: list[ServiceProcess]
) -> None:
    (release.root / "dashboard" / "endpoints.py").unlink()
    sync = start_sync(release, database_url=_db_url(tmp_path), log_dir=tmp_path)
    services_started.append(sync)
    ready = httpx.get(f"{sync.base_url}/readyz", timeout=10)
    assert ready.status_code == 503
    assert "dashboard/endpoints.py: missing" in ready.text
    assert sync.process.poll() is None and httpx.get(f"{sync.base_url}/healthz", timeout=10).status_code == 200


def test_verify_deploy_passes_only_when_every_service_runs_the_expected_revision(
    release: SourceCopy, source_copy: SourceCopy, tmp_path: Path, services_started: list[ServiceProcess]
) -> None:
    sync = start_sync(release, database_url=_db_url(tmp_path), log_dir=tmp_path)
    services_started.append(sync)
    dashboard = start_service(release, "dashboard", probe="/liveness", database_url=_db_url(tmp_path), log_dir=tmp_path)
    services_started.append(dashboard)
    dashboard_version = httpx.get(f"{dashboard.base_url}/version", timeout=10).json()
    assert dashboard_version["service"] == "dashboard" and dashboard_version["revision"] == _head(source_copy)
    assert "glance_build_info" in httpx.get(f"{dashboard.base_url}/metrics", timeout=10).text

    def verify(revision: str) -> subprocess.CompletedProcess[str]:
        return release.run(
            "-m",
            "services",
            "verify-deploy",
            "--expect-revision",
            revision,
            "--sync",
            sync.base_url,
            "--dashboard",
            dashboard.base_url,
        )

    good = verify(_head(source_copy)[:12])
    assert good.returncode == 0, good.stdout + good.stderr
    assert "deploy verified" in good.stdout
    wrong = verify("0123456789ab")
    assert wrong.returncode == 1
    assert f"runs revision {_head(source_copy)}, expected 0123456789ab" in wrong.stdout
    assert "deploy not verified" in wrong.stderr


def test_a_corrupt_manifest_fails_readiness_naming_it_without_a_crash(
    release: SourceCopy, tmp_path: Path, services_started: list[ServiceProcess]
) -> None:
    (release.root / "services" / "BUILD_INFO.json").write_text("{not json")
    sync = start_sync(release, database_url=_db_url(tmp_path), log_dir=tmp_path)
    services_started.append(sync)
    ready = httpx.get(f"{sync.base_url}/readyz", timeout=10)
    assert ready.status_code == 503 and "services/BUILD_INFO.json: manifest unreadable" in ready.text


def test_sync_readiness_follows_postgres_down_and_back_without_a_restart(
    release: SourceCopy, tmp_path: Path, services_started: list[ServiceProcess], running_pg_cluster: PostgresCluster
) -> None:
    url = running_pg_cluster.create_database(f"sync_{tmp_path.name[-12:].replace('-', '_')}")
    assert release.run("-m", "services", "db", "upgrade", GLANCE_DATABASE_URL=url).returncode == 0
    sync = start_sync(release, database_url=url, log_dir=tmp_path)
    services_started.append(sync)
    assert httpx.get(f"{sync.base_url}/readyz", timeout=10).status_code == 200

    running_pg_cluster.stop()
    down = httpx.get(f"{sync.base_url}/readyz", timeout=10)
    assert down.status_code == 503 and "database" in down.json()["failing"]
    assert "database unavailable" in down.text

    running_pg_cluster.start()
    back = httpx.get(f"{sync.base_url}/readyz", timeout=10)
    assert back.status_code == 200, back.text
    assert sync.process.poll() is None
