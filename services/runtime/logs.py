"""Structured logging: JSON lines in containers, readable console output on a terminal."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

from services.runtime.settings import Settings

PROBE_PATHS = ("/healthz", "/readyz", "/liveness")


class _ProbeFilter(logging.Filter):
    """Drop access-log lines for health probes, which Compose sends every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(f" {path} " in record.getMessage() or f'"{path}' in record.getMessage() for path in PROBE_PATHS)


def configure_logging(settings: Settings, *, stream: TextIO = sys.stderr, quiet: bool = False) -> None:
    """Route stdlib and structlog records through one structlog pipeline to `stream`.

    Commands log to stderr so their stdout stays clean for JSON and CSV, and pass `quiet` so
    only warnings and errors reach the terminal beside what they print (`glance --verbose` lifts
    it); the services log to stdout at `GLANCE_LOG_LEVEL`, where container runtimes collect it.
    """
    use_json = settings.log_format == "json" or (settings.log_format == "auto" and not stream.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.getLevelName(settings.log_level.upper())
    root.setLevel(max(level, logging.WARNING) if quiet else level)
    for noisy in ("bokeh", "tornado.access", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _ProbeFilter) for f in access.filters):
        access.addFilter(_ProbeFilter())
