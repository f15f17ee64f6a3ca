"""Prometheus metrics both services expose at `/metrics`.

Each process has its own registry contents; the `service` label on build info says which one answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.runtime.build_info import BuildInfo

HTTP_REQUESTS = Counter(
    "glance_http_requests_total", "HTTP requests answered.", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "glance_http_request_duration_seconds", "Time to answer an HTTP request.", ["service", "method", "route"]
)
IMPORTS = Counter("glance_imports_total", "Import runs finished, by kind and outcome.", ["kind", "status"])
IMPORT_ROWS = Counter(
    "glance_import_rows_total", "Rows processed by imports, by kind and outcome.", ["kind", "outcome"]
)
CACHE_REQUESTS = Counter("glance_cache_requests_total", "Cache lookups by result.", ["backend", "result"])
CACHE_LATENCY = Histogram(
    "glance_cache_latency_seconds",
    "Time of one cache backend call (get or set).",
    ["backend"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
CACHE_DEGRADED = Gauge("glance_cache_degraded", "1 while the cache backend is unavailable and calls run uncached.")
DEPENDENCY_UP = Gauge("glance_dependency_up", "1 when a dependency answered its last check.", ["dependency"])
BUILD = Gauge(
    "glance_build_info",
    "The running release (always 1; the labels carry the facts).",
    ["service", "version", "revision", "alembic_head", "digest", "digest_ok"],
)


SOURCE_PULLS = Counter(
    "glance_source_pulls_total", "Source pulls finished, by source and outcome.", ["source", "status"]
)


class FreshnessSample(Protocol):
    """What the freshness gauges read from each import kind or source."""

    # Read-only, so frozen models (and narrower types such as a Literal subject) satisfy it.
    @property
    def subject(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def age_s(self) -> float | None: ...
    @property
    def expected_s(self) -> float | None: ...
    @property
    def stale(self) -> bool: ...


class _FreshnessCollector(Collector):
    """Reads data freshness at scrape time, so the age is never frozen between checks."""

    def __init__(self, provider: Callable[[], Iterable[FreshnessSample]]) -> None:
        self.provider = provider

    def describe(self) -> list[GaugeMetricFamily]:
        """The families without samples, so registering does not query the database."""
        labels = ["subject", "name"]
        return [
            GaugeMetricFamily("glance_data_age_seconds", "Age of the newest imported data.", labels=labels),
            GaugeMetricFamily("glance_data_expected_age_seconds", "Expected freshness.", labels=labels),
            GaugeMetricFamily("glance_data_stale", "1 when the newest data is older than expected.", labels=labels),
        ]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        age, expected, stale = self.describe()
        for item in self.provider():
            if item.age_s is not None:
                age.add_metric([item.subject, item.name], item.age_s)
            if item.expected_s is not None:
                expected.add_metric([item.subject, item.name], item.expected_s)
            stale.add_metric([item.subject, item.name], 1 if item.stale else 0)
        yield from (age, expected, stale)


_freshness: list[_FreshnessCollector] = []


def register_freshness(provider: Callable[[], Iterable[FreshnessSample]]) -> None:
    """Expose data freshness from `provider` at `/metrics` (replacing any earlier provider)."""
    while _freshness:
        REGISTRY.unregister(_freshness.pop())
    collector = _FreshnessCollector(provider)
    REGISTRY.register(collector)
    _freshness.append(collector)


def record_pull(*, source: str, status: str) -> None:
    """Count one finished source pull."""
    SOURCE_PULLS.labels(source=source, status=status).inc()


def record_build(*, service: str, build: BuildInfo, digest_ok: bool) -> None:
    """Publish the release this process runs as a labelled gauge."""
    BUILD.clear()
    BUILD.labels(
        service=service,
        version=build.version,
        revision=build.revision,
        alembic_head=build.alembic_head,
        digest=build.digest[:16],
        digest_ok=str(digest_ok).lower(),
    ).set(1)


def record_import(*, kind: str, status: str, inserted: int, updated: int, unchanged: int, rejected: int) -> None:
    """Count one finished import run and its rows."""
    IMPORTS.labels(kind=kind, status=status).inc()
    for outcome, rows in (
        ("inserted", inserted),
        ("updated", updated),
        ("unchanged", unchanged),
        ("rejected", rejected),
    ):
        IMPORT_ROWS.labels(kind=kind, outcome=outcome).inc(rows)


def record_dependency(name: str, *, up: bool) -> None:
    """Set a dependency's up/down gauge from its latest check."""
    DEPENDENCY_UP.labels(dependency=name).set(1 if up else 0)


@dataclass(frozen=True)
class Exposition:
    """The metrics page: Prometheus text and its content type."""

    body: bytes
    content_type: str = CONTENT_TYPE_LATEST


def exposition() -> Exposition:
    """Every metric of this process in the Prometheus text format."""
    return Exposition(body=generate_latest())
