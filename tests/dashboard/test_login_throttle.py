"""Failed sign-in counts: per process, shared through the real Redis, and a fallback when Redis is away."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from dashboard.login_throttle import MAX_FAILURES, LocalCounts, LoginThrottle, SharedCounts
from tests.conftest import REDIS_URL
from tests.dashboard.served import free_port

ADDRESS = "203.0.113.7"


def shared_counts(url: str, prefix: str) -> SharedCounts:
    return SharedCounts(url, connect_timeout_s=0.5, socket_timeout_s=0.5, prefix=prefix)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own in the real Redis, emptied afterwards."""
    name = f"glance-test-login:{uuid.uuid4().hex}:"
    yield name
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    keys = list(client.scan_iter(match=f"{name}*"))
    if keys:
        client.delete(*keys)


@pytest.mark.redis
def test_two_processes_share_one_count_and_the_sixth_failure_is_refused_by_both(prefix: str) -> None:
    first = LoginThrottle(shared=shared_counts(REDIS_URL, prefix))
    second = LoginThrottle(shared=shared_counts(REDIS_URL, prefix))  # another dashboard process

    for throttle in (first, second, first, second, first):
        assert throttle.retry_after(username="ann", address=ADDRESS) == 0
        throttle.failed(username="ann", address=ADDRESS)

    assert 0 < first.retry_after(username="ann", address=ADDRESS) <= 60
    assert 0 < second.retry_after(username="Ann", address=ADDRESS) <= 60  # usernames are not case-sensitive
    assert second.retry_after(username="bob", address=ADDRESS) == 0
    assert second.retry_after(username="ann", address="198.51.100.1") == 0


@pytest.mark.redis
def test_signing_in_clears_the_count_in_every_process(prefix: str) -> None:
    first = LoginThrottle(shared=shared_counts(REDIS_URL, prefix))
    second = LoginThrottle(shared=shared_counts(REDIS_URL, prefix))
    for _ in range(MAX_FAILURES - 1):
        first.failed(username="ann", address=ADDRESS)

    second.succeeded(username="ann", address=ADDRESS)
    first.local.succeeded(username="ann", address=ADDRESS)  # as the first process would after its own success
    first.failed(username="ann", address=ADDRESS)

    assert second.retry_after(username="ann", address=ADDRESS) == 0


@pytest.mark.redis
def test_redis_keys_are_hashes_that_expire_and_never_hold_the_username(prefix: str) -> None:
    throttle = LoginThrottle(shared=shared_counts(REDIS_URL, prefix))
    throttle.failed(username="ann.secret-name", address=ADDRESS)

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    keys = [key.decode() for key in client.scan_iter(match=f"{prefix}*")]
    assert len(keys) == 1
    assert "ann" not in keys[0] and ADDRESS not in keys[0]
    assert 0 < client.pttl(keys[0]) <= 60_000
    members = client.zrange(keys[0], 0, -1)
    assert all(b"ann" not in member for member in members)


def test_with_redis_unreachable_the_process_counts_on_its_own_and_says_so_once(
    prefix: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    throttle = LoginThrottle(shared=shared_counts(closed, prefix), retry_after_s=0)  # tries Redis every call

    for _ in range(MAX_FAILURES):
        assert throttle.retry_after(username="ann", address=ADDRESS) == 0
        throttle.failed(username="ann", address=ADDRESS)

    assert throttle.retry_after(username="ann", address=ADDRESS) > 0
    logged = capsys.readouterr().out + caplog.text
    assert logged.count("login_throttle_local_only") == 1


def test_the_local_window_refuses_the_sixth_failure_and_forgets_after_a_minute() -> None:
    counts = LocalCounts()
    for second in range(MAX_FAILURES):
        counts.failed(username="ann", address=ADDRESS, now=100.0 + second)

    assert counts.retry_after(username="ann", address=ADDRESS, now=110.0) == pytest.approx(50.0)
    assert counts.retry_after(username="ann", address=ADDRESS, now=160.0) == 0
