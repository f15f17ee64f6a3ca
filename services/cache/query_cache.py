"""The query cache both services share: Redis when configured, an in-process LRU otherwise.

Keys are `glance:<code digest>:<data version>:<query name>:<params hash>`, so a new deploy or a
new import can never be answered from an older entry, and every entry has a TTL so old
generations expire by themselves. Concurrent identical misses compute once (a thread
single-flight in each process, a short Redis lock across processes). When Redis fails, calls
compute uncached, the cache reports itself degraded, and Redis is tried again after
`redis_retry_after_s` without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

import structlog
from sqlalchemy.orm import Session

from db.data_version import current_data_version
from db.scope import Scope
from services.cache.backends import (
    KEY_PREFIX,
    Backend,
    BackendError,
    MemoryBackend,
    RedisBackend,
)
from services.cache.codec import CodecError, dumps, loads, params_hash
from services.runtime import metrics
from services.runtime.build_info import current_build
from services.runtime.settings import Settings, get_settings

T = TypeVar("T")
LOCK_TTL_MS = 15_000
"""How long one process may hold a key's compute lock; waiters give up and compute after this."""
POLL_S = 0.02

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CacheStatus:
    """What the Ops page and `/metrics` show about the cache."""

    backend: str
    degraded: bool
    reason: str
    hits: int
    misses: int
    errors: int
    uncached: int
    latency_ms: float
    """Mean time of one backend call."""

    def describe(self) -> str:
        """One line for ops."""
        state = f"degraded: cache unavailable ({self.reason})" if self.degraded else "ok"
        return (
            f"cache {self.backend}: {state}; hits {self.hits}, misses {self.misses}, "
            f"errors {self.errors}, uncached {self.uncached}, mean latency {self.latency_ms:.2f} ms"
        )


class _Counters:
    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self.uncached = 0
        self.calls = 0
        self.seconds = 0.0


class Cache:
    """Get-or-compute over a backend, with single-flight, typed serialisation and degradation."""

    def __init__(self, settings: Settings, *, digest: str | None = None, backend: Backend | None = None) -> None:
        self._settings = settings
        self._digest = (digest or current_build().digest)[:16]
        self._backend: Backend = backend or _backend_for(settings)
        self._flights: dict[str, Future[Any]] = {}
        self._flights_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._counters = _Counters()
        self._degraded_reason = ""
        self._retry_at = 0.0

    def key(self, query_name: str, params: Mapping[str, Any], *, data_version: int) -> str:
        """The cache key of one query call at one data version under this code."""
        return f"{KEY_PREFIX}{self._digest}:{data_version}:{query_name}:{params_hash(params)}"

    def get_or_compute(
        self, query_name: str, params: Mapping[str, Any], compute: Callable[[], T], *, data_version: int
    ) -> T:
        """The cached result of `compute` for this query, parameters and data version (computed once on a miss)."""
        key = self.key(query_name, params, data_version=data_version)
        with self._flights_lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = Future()
        if not leader:
            # Flights and decoded payloads are untyped: the value is what `compute` (a T) returned.
            return cast(T, flight.result())
        try:
            value = self._load_or_compute(key, compute)
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        else:
            flight.set_result(value)
            return value
        finally:
            with self._flights_lock:
                del self._flights[key]

    def status(self) -> CacheStatus:
        """Hits, misses, errors, latency and whether the cache is degraded."""
        with self._stats_lock:
            c = self._counters
            return CacheStatus(
                backend=self._backend.name,
                degraded=bool(self._degraded_reason),
                reason=self._degraded_reason,
                hits=c.hits,
                misses=c.misses,
                errors=c.errors,
                uncached=c.uncached,
                latency_ms=(c.seconds / c.calls * 1000) if c.calls else 0.0,
            )

    def check(self) -> CacheStatus:
        """Ping the backend now (clearing or setting the degraded state) and return the status."""
        try:
            self._call(self._backend.ping)
        except BackendError as exc:
            self._degrade(exc)
        return self.status()

    def clear(self) -> int:
        """Remove every Glance entry from the backend; returns how many were removed."""
        removed = self._call(self._backend.clear)
        log.info("cache cleared", backend=self._backend.name, removed=removed)
        return removed

    def _load_or_compute(self, key: str, compute: Callable[[], T]) -> T:
        if not self._backend_usable():
            self._count("uncached")
            return compute()
        token: str | None = None
        try:
            found = self._read(key, self._call(self._backend.get, key))
            if found is not _MISSING:
                self._count("hit")
                return cast(T, found)
            self._count("miss")
            token = self._call(self._backend.acquire, key, ttl_ms=LOCK_TTL_MS)
            if token is None:
                found = self._wait_for(key)
                if found is not _MISSING:
                    return cast(T, found)
        except BackendError as exc:
            self._degrade(exc)
            return compute()
        try:
            value = compute()
            self._store(key, value)
            return value
        finally:
            if token is not None:
                self._release(key, token)

    def _wait_for(self, key: str) -> Any:
        # Another process computes this key: read its result when it lands, or compute ourselves
        # when its lock goes away without a result (it failed) or expires (it died).
        deadline = time.monotonic() + LOCK_TTL_MS / 1000
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            peek = self._call(self._backend.peek, key)
            found = self._read(key, peek.payload)
            if found is not _MISSING:
                return found
            if not peek.locked:
                break
        return _MISSING

    def _store(self, key: str, value: Any) -> None:
        payload = dumps(value)  # a CodecError here is a programming error: the result type must be registered
        try:
            self._call(self._backend.set, key, payload, ttl_s=self._settings.cache_ttl_s)
        except BackendError as exc:
            self._degrade(exc)

    def _release(self, key: str, token: str) -> None:
        try:
            self._call(self._backend.release, key, token)
        except BackendError as exc:
            self._degrade(exc)

    def _read(self, key: str, payload: bytes | None) -> Any:
        if payload is None:
            return _MISSING
        try:
            return loads(payload)
        except CodecError as exc:
            self._count("error")
            log.warning("unreadable cache entry ignored", key=key, error=str(exc))
            return _MISSING

    def _call(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        try:
            result = operation(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            metrics.CACHE_LATENCY.labels(backend=self._backend.name).observe(elapsed)
            with self._stats_lock:
                self._counters.calls += 1
                self._counters.seconds += elapsed
        self._recover()
        return result

    def _backend_usable(self) -> bool:
        return not self._degraded_reason or time.monotonic() >= self._retry_at

    def _degrade(self, exc: BackendError) -> None:
        with self._stats_lock:
            first = not self._degraded_reason
            self._degraded_reason = str(exc)
            self._retry_at = time.monotonic() + self._settings.redis_retry_after_s
        self._count("error")
        metrics.CACHE_DEGRADED.set(1)
        metrics.record_dependency("redis", up=False)
        if first:
            log.warning("cache degraded: computing uncached", backend=self._backend.name, error=str(exc))

    def _recover(self) -> None:
        if not self._degraded_reason:
            return
        with self._stats_lock:
            self._degraded_reason = ""
        metrics.CACHE_DEGRADED.set(0)
        metrics.record_dependency("redis", up=True)
        log.info("cache recovered", backend=self._backend.name)

    def _count(self, result: str) -> None:
        metrics.CACHE_REQUESTS.labels(backend=self._backend.name, result=result).inc()
        with self._stats_lock:
            c = self._counters
            if result == "hit":
                c.hits += 1
            elif result == "miss":
                c.misses += 1
            elif result == "error":
                c.errors += 1
            else:
                c.uncached += 1


_MISSING: Any = object()


def _backend_for(settings: Settings) -> Backend:
    if settings.redis_url:
        return RedisBackend(
            settings.redis_url,
            connect_timeout_s=settings.redis_connect_timeout_s,
            socket_timeout_s=settings.redis_socket_timeout_s,
        )
    return MemoryBackend(max_entries=settings.cache_max_entries)


@lru_cache(maxsize=1)
def get_cache() -> Cache:
    """The process-wide cache built from the settings."""
    return Cache(get_settings())


def cached_query(session: Session, name: str, fn: Callable[..., T], /, *, scope: Scope, **params: Any) -> T:
    """`fn(session, scope=scope, **params)` through the cache, keyed on the data version and the scope.

    `scope` is required here, not just passed along: no entry is written or read without the
    territories it was computed for in its key, so one caller's figures never answer another's.
    """
    # The version is read before the query runs, so an entry can hold newer data than its key says,
    # never older: a reader at the new version can never be served numbers from before an import.
    data_version = current_data_version(session)
    return get_cache().get_or_compute(
        name, {**params, "scope": scope}, lambda: fn(session, scope=scope, **params), data_version=data_version
    )
