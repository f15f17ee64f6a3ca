"""The query cache: hits after a miss, keys that follow code and data, one compute per stampede."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import redis

from db.queries import BreakdownRow, Period
from services.cache.query_cache import Cache
from services.runtime.settings import Settings
from tests.services.conftest import RedisProcess

PARAMS = {"period": Period(date(2025, 1, 1), date(2025, 1, 31)), "territory": "UK"}


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    """A cache on each backend: the in-process LRU, and a redis-server of the test's own."""
    if request.param == "memory":
        yield Cache(Settings(redis_url=""), digest="a" * 64)
        return
    server: RedisProcess = request.getfixturevalue("redis_server")
    yield Cache(Settings(redis_url=server.url), digest="a" * 64)


class Counter:
    """A compute function that counts its calls and returns a Decimal figure."""

    def __init__(self, value: str = "10.50", delay_s: float = 0.0) -> None:
        self.calls = 0
        self.value = value
        self.delay_s = delay_s
        self._lock = threading.Lock()

    def __call__(self) -> BreakdownRow:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)
        return BreakdownRow(net_revenue=Decimal(self.value), cogs=Decimal("4.00"), units=1, orders=1, key="UK")


def test_the_second_identical_call_is_a_hit_with_the_same_exact_value(cache: Cache) -> None:
    compute = Counter()
    first = cache.get_or_compute("sales", PARAMS, compute, data_version=1)
    second = cache.get_or_compute("sales", PARAMS, compute, data_version=1)
    assert compute.calls == 1
    assert second == first and str(second.net_revenue) == "10.50"
    status = cache.status()
    assert (status.hits, status.misses, status.errors, status.degraded) == (1, 1, 0, False)


def test_a_new_data_version_is_never_answered_from_the_older_entry(cache: Cache) -> None:
    cache.get_or_compute("sales", PARAMS, Counter("10.50"), data_version=1)
    after_import = cache.get_or_compute("sales", PARAMS, Counter("99.00"), data_version=2)
    assert after_import.net_revenue == Decimal("99.00")
    assert cache.key("sales", PARAMS, data_version=1) != cache.key("sales", PARAMS, data_version=2)


def test_a_new_code_digest_is_never_answered_from_the_older_deploy(redis_server: RedisProcess) -> None:
    settings = Settings(redis_url=redis_server.url)
    old_deploy = Cache(settings, digest="a" * 64)
    new_deploy = Cache(settings, digest="b" * 64)
    old_deploy.get_or_compute("sales", PARAMS, Counter("10.50"), data_version=1)
    fresh = new_deploy.get_or_compute("sales", PARAMS, Counter("12.00"), data_version=1)
    assert fresh.net_revenue == Decimal("12.00")
    assert new_deploy.key("sales", PARAMS, data_version=1).startswith("glance:" + "b" * 16 + ":1:sales:")


def test_every_redis_entry_has_a_ttl(redis_server: RedisProcess) -> None:
    cache = Cache(Settings(redis_url=redis_server.url, cache_ttl_s=600), digest="a" * 64)
    cache.get_or_compute("sales", PARAMS, Counter(), data_version=1)
    client = redis.Redis.from_url(redis_server.url)
    keys = client.keys("glance:*")
    assert len(keys) == 1
    assert 0 < client.ttl(keys[0]) <= 600


def test_in_process_entries_expire_after_their_ttl() -> None:
    cache = Cache(Settings(redis_url="", cache_ttl_s=1), digest="a" * 64)
    compute = Counter()
    cache.get_or_compute("sales", PARAMS, compute, data_version=1)
    time.sleep(1.1)
    cache.get_or_compute("sales", PARAMS, compute, data_version=1)
    assert compute.calls == 2


def test_concurrent_identical_misses_compute_once(cache: Cache) -> None:
    compute = Counter(delay_s=0.3)
    results: list[BreakdownRow] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("sales", PARAMS, compute, data_version=1)))
        for _ in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compute.calls == 1
    assert len(results) == 16 and all(result.net_revenue == Decimal("10.50") for result in results)


def test_processes_sharing_redis_compute_a_stampede_once(redis_server: RedisProcess) -> None:
    # Two Cache objects stand for two service processes: only the Redis lock coordinates them.
    settings = Settings(redis_url=redis_server.url)
    replicas = [Cache(settings, digest="a" * 64), Cache(settings, digest="a" * 64)]
    compute = Counter(delay_s=0.3)
    threads = [
        threading.Thread(target=lambda c=replicas[i % 2]: c.get_or_compute("sales", PARAMS, compute, data_version=1))
        for i in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compute.calls == 1


def test_a_failing_compute_is_not_cached_and_the_next_call_computes_again(cache: Cache) -> None:
    def broken() -> BreakdownRow:
        raise LookupError("query failed")

    with pytest.raises(LookupError):
        cache.get_or_compute("sales", PARAMS, broken, data_version=1)
    assert cache.get_or_compute("sales", PARAMS, Counter(), data_version=1).net_revenue == Decimal("10.50")


def test_clear_removes_the_entries(cache: Cache) -> None:
    compute = Counter()
    cache.get_or_compute("sales", PARAMS, compute, data_version=1)
    assert cache.clear() == 1
    cache.get_or_compute("sales", PARAMS, compute, data_version=1)
    assert compute.calls == 2
