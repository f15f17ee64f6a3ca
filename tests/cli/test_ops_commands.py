"""`glance version`, `glance health` and `glance cache clear`, run as a user runs them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import redis

from db.queries import Period
from services.cache.query_cache import Cache
from services.runtime.settings import Settings
from tests.services.conftest import RedisProcess, SourceCopy, install_wheel, redis_server, source_copy

__all__ = ["redis_server", "source_copy"]  # the ops tests' fixtures, reused


def _db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'glance.db'}"


def test_health_exits_zero_when_ready_and_one_naming_the_schema_when_not(
    source_copy: SourceCopy, tmp_path: Path
) -> None:
    installed = install_wheel(source_copy, tmp_path / "site")
    empty = installed.run("-m", "services", "health", GLANCE_DATABASE_URL=_db_url(tmp_path))
    assert empty.returncode == 1
    assert "database is empty" in empty.stdout and "status: unavailable" in empty.stdout

    installed.run("-m", "services", "db", "upgrade", GLANCE_DATABASE_URL=_db_url(tmp_path))
    ready = installed.run("-m", "services", "health", GLANCE_DATABASE_URL=_db_url(tmp_path))
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "status: ready" in ready.stdout


def test_version_prints_the_revision_and_the_digest_status(source_copy: SourceCopy, tmp_path: Path) -> None:
    installed = install_wheel(source_copy, tmp_path / "site", GLANCE_REVISION="feedc0de1234")
    result = installed.run("-m", "services", "version")
    assert result.returncode == 0
    assert "revision: feedc0de1234" in result.stdout and "source digest clean" in result.stdout


def test_cache_clear_removes_the_shared_entries(redis_server: RedisProcess, source_copy: SourceCopy) -> None:
    cache = Cache(Settings(redis_url=redis_server.url), digest="e" * 64)
    for territory in ("UK", "DE"):
        params = {"period": Period(date(2025, 1, 1), date(2025, 1, 31)), "territory": territory}
        cache.get_or_compute("scorecard", params, lambda t=territory: t, data_version=1)
    result = source_copy.run("-m", "services", "cache", "clear", GLANCE_REDIS_URL=redis_server.url)
    assert result.returncode == 0, result.stderr
    assert "2 entries removed" in result.stdout
    assert redis.Redis.from_url(redis_server.url).keys("glance:*") == []


def test_cache_clear_with_redis_down_says_so_and_exits_one(source_copy: SourceCopy) -> None:
    result = source_copy.run("-m", "services", "cache", "clear", GLANCE_REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "could not clear the cache" in result.stderr and "fix:" in result.stderr
