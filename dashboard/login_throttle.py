"""Failed sign-ins counted per username and client address: the sixth failure within a minute is refused.

Counting per (username, address) stops password guessing against one account from one place
without letting anyone lock another person out from elsewhere. When the cache runs on Redis the
counts live there too, so every dashboard process (`--num-procs`, several containers) sees the
same count; keys are hashes, so no username is stored in clear. If Redis does not answer within
its timeouts the process keeps counting on its own (it always does, so nothing is lost when Redis
goes away mid-way), logs it once, and tries Redis again after `redis_retry_after_s`.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

import structlog
from redis.exceptions import RedisError

from services.cache.backends import bounded_redis
from services.runtime.settings import Settings, get_settings

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_FAILURES = 5
WINDOW_S = 60.0
KEY_PREFIX = "glance-login:"
_MAX_KEYS = 10_000

# Sliding windows kept as sorted sets of failure times (the Redis server's clock, so processes on
# hosts with different clocks agree). Only the newest `max` failures are kept: that is all the
# refusal needs, and it bounds a key's size whatever the request rate.
_FAILED = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
"""
_WAIT_MS = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local max = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[1]) < max then
    return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], -max, -max, 'WITHSCORES')
return math.max(tonumber(oldest[2]) + tonumber(ARGV[1]) - now, 0)
"""


@dataclass
class LocalCounts:
    """A sliding window of failed sign-ins per (username, address), in this process."""

    max_failures: int = MAX_FAILURES
    window_s: float = WINDOW_S
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def retry_after(self, *, username: str, address: str, now: float | None = None) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent((username.lower(), address), now)
            if len(times) < self.max_failures:
                return 0.0
            return max(self.window_s - (now - times[-self.max_failures]), 0.0)

    def failed(self, *, username: str, address: str, now: float | None = None) -> None:
        """Count one failed sign-in."""
        now = time.monotonic() if now is None else now
        key = (username.lower(), address)
        with self._lock:
            if len(self._failures) >= _MAX_KEYS:
                # Bound the memory a flood of made-up usernames can take: drop pairs with no recent failure.
                self._failures = {k: v for k, v in self._failures.items() if self._recent(k, now)}
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times

    def succeeded(self, *, username: str, address: str) -> None:
        """Forget the failures of a pair that has just signed in."""
        with self._lock:
            self._failures.pop((username.lower(), address), None)


class SharedCounts:
    """The same sliding window in Redis, shared by every dashboard process; every call bounded by timeouts."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout_s: float,
        socket_timeout_s: float,
        max_failures: int = MAX_FAILURES,
        window_s: float = WINDOW_S,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self.max_failures = max_failures
        self._window_ms = int(window_s * 1000)
        self._prefix = prefix
        # One bounded attempt per call; the caller falls back to its own count.
        self._client = bounded_redis(url, connect_timeout_s=connect_timeout_s, socket_timeout_s=socket_timeout_s)
        self._failed = self._client.register_script(_FAILED)
        self._wait_ms = self._client.register_script(_WAIT_MS)

    def key(self, *, username: str, address: str) -> str:
        """The Redis key of a pair: a hash, so usernames and addresses are not stored in clear."""
        digest = hashlib.sha256(f"{username.lower()}\0{address}".encode()).hexdigest()[:32]
        return f"{self._prefix}{digest}"

    def retry_after(self, *, username: str, address: str) -> float:
        """Seconds until this pair may try again, counted over all processes; raises RedisError."""
        waited = self._wait_ms(
            keys=[self.key(username=username, address=address)], args=[self._window_ms, self.max_failures]
        )
        return int(waited) / 1000

    def failed(self, *, username: str, address: str) -> None:
        """Count one failed sign-in for every process; raises RedisError."""
        member = secrets.token_hex(8)  # two failures in the same millisecond are still two
        self._failed(
            keys=[self.key(username=username, address=address)], args=[self._window_ms, self.max_failures, member]
        )

    def succeeded(self, *, username: str, address: str) -> None:
        """Forget the pair's failures; raises RedisError."""
        self._client.delete(self.key(username=username, address=address))


class LoginThrottle:
    """Failed sign-ins counted in this process and, when there is one, in Redis; the stricter count wins."""

    def __init__(
        self, *, shared: SharedCounts | None = None, retry_after_s: float = 5.0, local: LocalCounts | None = None
    ):
        self.local = local or LocalCounts()
        self.shared = shared
        self._retry_after_s = retry_after_s
        self._down_until = 0.0
        self._lock = threading.Lock()

    def retry_after(self, *, username: str, address: str) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        shared = self._shared(lambda counts: counts.retry_after(username=username, address=address))
        return max(self.local.retry_after(username=username, address=address), shared or 0.0)

    def failed(self, *, username: str, address: str) -> None:
        """Count one failed sign-in."""
        self.local.failed(username=username, address=address)
        self._shared(lambda counts: counts.failed(username=username, address=address))

    def succeeded(self, *, username: str, address: str) -> None:
        """Forget the pair's failures (it has just signed in)."""
        self.local.succeeded(username=username, address=address)
        self._shared(lambda counts: counts.succeeded(username=username, address=address))

    def _shared(self, call: Callable[[SharedCounts], T]) -> T | None:
        """`call` on the shared counts, or None without Redis or while it is unreachable."""
        if self.shared is None or time.monotonic() < self._down_until:
            return None
        try:
            result = call(self.shared)
        except RedisError as exc:
            self._lost(exc)
            return None
        self._back()
        return result

    def _lost(self, exc: RedisError) -> None:
        with self._lock:
            first = self._down_until == 0.0
            self._down_until = time.monotonic() + self._retry_after_s
        if first:
            log.warning("login_throttle_local_only", reason="redis unreachable", error=str(exc))

    def _back(self) -> None:
        with self._lock:
            if self._down_until == 0.0:
                return
            self._down_until = 0.0
        log.info("login_throttle_shared_again")


def throttle_for(settings: Settings) -> LoginThrottle:
    """A throttle that shares its counts through Redis when the cache uses Redis."""
    if not settings.redis_url:
        return LoginThrottle()
    shared = SharedCounts(
        settings.redis_url,
        connect_timeout_s=settings.redis_connect_timeout_s,
        socket_timeout_s=settings.redis_socket_timeout_s,
    )
    return LoginThrottle(shared=shared, retry_after_s=settings.redis_retry_after_s)


@lru_cache(maxsize=1)
def get_throttle() -> LoginThrottle:
    """The process-wide throttle the login page uses."""
    return throttle_for(get_settings())
