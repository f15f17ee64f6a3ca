"""Redis going away never breaks or hangs a page: calls compute uncached, then use Redis again by themselves."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from db.queries import BreakdownRow, Period
from services.cache.query_cache import Cache
from services.runtime.settings import Settings
from tests.services.conftest import RedisProcess, wait_for

PARAMS = {"period": Period(date(2025, 1, 1), date(2025, 1, 31))}
MARGIN_S = 1.0
"""Scheduling slack on a shared CI machine, on top of the configured timeouts."""


def _settings(server: RedisProcess) -> Settings:
    return Settings(
        redis_url=server.url, redis_connect_timeout_s=0.3, redis_socket_timeout_s=0.3, redis_retry_after_s=0.5
    )


def _figure(value: str = "10.50") -> BreakdownRow:
    return BreakdownRow(net_revenue=Decimal(value), cogs=Decimal("1.00"), units=1, orders=1, key="UK")


def _timed_call(cache: Cache, value: str, *, data_version: int = 1) -> tuple[BreakdownRow, float]:
    started = time.monotonic()
    result = cache.get_or_compute("sales", PARAMS, lambda: _figure(value), data_version=data_version)
    return result, time.monotonic() - started


def test_redis_stopped_mid_session_degrades_then_recovers_without_restart(redis_server: RedisProcess) -> None:
    settings = _settings(redis_server)
    cache = Cache(settings, digest="c" * 64)
    cache.get_or_compute("sales", PARAMS, _figure, data_version=1)

    redis_server.stop()
    result, elapsed = _timed_call(cache, "11.00", data_version=2)
    assert result.net_revenue == Decimal("11.00"), "the page still gets its figure, computed from the database"
    assert elapsed < settings.redis_connect_timeout_s + settings.redis_socket_timeout_s + MARGIN_S
    status = cache.status()
    assert status.degraded and status.errors >= 1
    assert "redis" in status.reason and "degraded: cache unavailable" in status.describe()

    # Inside the retry window nothing waits on the dead server at all.
    _, elapsed = _timed_call(cache, "11.00", data_version=2)
    assert cache.status().uncached >= 1 and elapsed < MARGIN_S

    redis_server.start()
    time.sleep(settings.redis_retry_after_s)
    _timed_call(cache, "12.00", data_version=3)
    cached, _ = _timed_call(cache, "never computed", data_version=3)
    assert cached.net_revenue == Decimal("12.00"), "the second call is answered from Redis again"
    assert not cache.status().degraded


def test_a_hung_redis_costs_at_most_the_socket_timeout_per_call(redis_server: RedisProcess) -> None:
    settings = _settings(redis_server)
    cache = Cache(settings, digest="d" * 64)
    cache.get_or_compute("sales", PARAMS, _figure, data_version=1)

    redis_server.pause()
    try:
        result, elapsed = _timed_call(cache, "11.00", data_version=2)
        assert result.net_revenue == Decimal("11.00")
        assert elapsed < settings.redis_socket_timeout_s + MARGIN_S
        assert cache.status().degraded
    finally:
        redis_server.resume()

    def recovered() -> bool:
        cache.check()
        return not cache.status().degraded

    wait_for(recovered, timeout_s=10, what="the cache to use Redis again after it resumed")
    _timed_call(cache, "13.00", data_version=4)
    cached, _ = _timed_call(cache, "never computed", data_version=4)
    assert cached.net_revenue == Decimal("13.00")
