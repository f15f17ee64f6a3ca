"""Where cache entries live: Redis (shared by every process) or an in-process LRU with TTL.

Both store the encoded bytes of `services.cache.codec`, so a hit decodes the same way everywhere
and no caller can mutate a shared cached object. Every Redis call is bounded by the socket timeouts
and never retried here: a failing Redis raises `BackendError` at once and the cache degrades.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol, cast

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

KEY_PREFIX = "glance:"
LOCK_PREFIX = "glance-lock:"

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class BackendError(RuntimeError):
    """The cache backend did not answer within its timeout or refused the call."""


@dataclass(frozen=True)
class Peek:
    """One look at a key while waiting for another process to fill it."""

    payload: bytes | None
    locked: bool


class Backend(Protocol):
    name: str

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, payload: bytes, *, ttl_s: int) -> None: ...
    def acquire(self, key: str, *, ttl_ms: int) -> str | None: ...
    def release(self, key: str, token: str) -> None: ...
    def peek(self, key: str) -> Peek: ...
    def clear(self) -> int: ...
    def ping(self) -> None: ...


class MemoryBackend:
    """A thread-safe LRU with a TTL per entry, for the embedded mode (one process)."""

    name = "memory"

    def __init__(self, *, max_entries: int) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, payload = entry
            if expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return payload

    def set(self, key: str, payload: bytes, *, ttl_s: int) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_s, payload)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def acquire(self, key: str, *, ttl_ms: int) -> str | None:
        # One process: the cache's own single-flight already lets one thread compute a key.
        return "local"

    def release(self, key: str, token: str) -> None:
        return None

    def peek(self, key: str) -> Peek:
        return Peek(payload=self.get(key), locked=False)

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def ping(self) -> None:
        return None


def bounded_redis(url: str, *, connect_timeout_s: float, socket_timeout_s: float) -> redis.Redis:
    """A Redis client whose every call is one attempt bounded by the timeouts (callers degrade on error)."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=connect_timeout_s,
        socket_timeout=socket_timeout_s,
        # redis-py retries ten times with backoff by default; one bounded attempt is the contract.
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


class RedisBackend:
    """Redis with short connect and socket timeouts and no client-side retries."""

    name = "redis"

    def __init__(self, url: str, *, connect_timeout_s: float, socket_timeout_s: float) -> None:
        self._client = bounded_redis(url, connect_timeout_s=connect_timeout_s, socket_timeout_s=socket_timeout_s)
        self._release = self._client.register_script(_RELEASE)

    def get(self, key: str) -> bytes | None:
        try:
            # redis-py types replies as bytes or str; this client does not decode responses, so they are bytes.
            return cast(bytes | None, self._client.get(key))
        except RedisError as exc:
            raise BackendError(f"redis get failed: {exc}") from exc

    def set(self, key: str, payload: bytes, *, ttl_s: int) -> None:
        try:
            self._client.set(key, payload, ex=ttl_s)
        except RedisError as exc:
            raise BackendError(f"redis set failed: {exc}") from exc

    def acquire(self, key: str, *, ttl_ms: int) -> str | None:
        token = secrets.token_hex(8)
        try:
            return token if self._client.set(LOCK_PREFIX + key, token, nx=True, px=ttl_ms) else None
        except RedisError as exc:
            raise BackendError(f"redis lock failed: {exc}") from exc

    def release(self, key: str, token: str) -> None:
        try:
            self._release(keys=[LOCK_PREFIX + key], args=[token])
        except RedisError as exc:
            raise BackendError(f"redis unlock failed: {exc}") from exc

    def peek(self, key: str) -> Peek:
        try:
            # Queued one by one: redis-py types a pipeline's commands as returning replies, not the pipeline.
            pipeline = self._client.pipeline(transaction=False)
            pipeline.get(key)
            pipeline.exists(LOCK_PREFIX + key)
            payload, locked = pipeline.execute()
        except RedisError as exc:
            raise BackendError(f"redis read failed: {exc}") from exc
        return Peek(payload=payload, locked=bool(locked))

    def clear(self) -> int:
        removed = 0
        try:
            keys = list(self._client.scan_iter(match=KEY_PREFIX + "*", count=1000))
            for start in range(0, len(keys), 500):
                removed += self._client.unlink(*keys[start : start + 500])
        except RedisError as exc:
            raise BackendError(f"redis clear failed: {exc}") from exc
        return removed

    def ping(self) -> None:
        try:
            self._client.ping()
        except RedisError as exc:
            raise BackendError(f"redis unreachable: {exc}") from exc
