"""The dashboard's ops endpoints: `/version` and `/metrics` (Panel serves `/liveness` itself)."""

from __future__ import annotations

import asyncio
import time

from tornado.web import RequestHandler

from services.runtime import metrics
from services.runtime.database import get_engine
from services.runtime.probes import startup_check, version_payload

SERVICE = "dashboard"


class VersionHandler(RequestHandler):
    """`GET /version`: the release manifest plus live facts, as JSON."""

    async def get(self) -> None:
        started = time.perf_counter()
        # The payload touches the database (with short timeouts); keep it off the event loop.
        payload = await asyncio.get_running_loop().run_in_executor(
            None, lambda: version_payload(service=SERVICE, engine=get_engine())
        )
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(payload.model_dump_json())
        _observe("/version", self.get_status(), started)


class MetricsHandler(RequestHandler):
    """`GET /metrics`: this dashboard process's metrics in the Prometheus text format."""

    def get(self) -> None:
        started = time.perf_counter()
        page = metrics.exposition()
        self.set_header("Content-Type", page.content_type)
        self.finish(page.body)
        _observe("/metrics", self.get_status(), started)


def _observe(route: str, status: int, started: float) -> None:
    metrics.HTTP_REQUESTS.labels(service=SERVICE, method="GET", route=route, status=str(status)).inc()
    metrics.HTTP_LATENCY.labels(service=SERVICE, method="GET", route=route).observe(time.perf_counter() - started)


def extra_patterns() -> list[tuple[str, type[RequestHandler]]]:
    """Tornado routes to pass to `pn.serve(extra_patterns=...)`; also checks the sources and publishes build info.

    A source mismatch is logged and shown by `/version` (and the dashboard banner via
    `services.runtime.build_info.verify_sources()`); it never stops the server.
    """
    startup_check(service=SERVICE)
    return [(r"/version", VersionHandler), (r"/metrics", MetricsHandler)]
