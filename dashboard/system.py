"""What the dashboard knows about itself: release, source check and the cache's state."""

from __future__ import annotations

from functools import lru_cache

from services.cache.query_cache import get_cache
from services.runtime.build_info import BuildInfo, SourceCheck, current_build, verify_sources


@lru_cache(maxsize=1)
def source_check() -> SourceCheck:
    """The imported code checked against the release manifest, once per process."""
    return verify_sources()


def build() -> BuildInfo:
    """This process's release."""
    return current_build()


def cache_degraded() -> bool:
    """True when the shared cache is unavailable and figures are computed uncached.

    The backend is pinged now (one bounded round trip): the status pane is drawn once, when a
    session is created and before its first query, so the cache's last-known state could still
    be from before an outage began (shown as OK) or ended (shown as degraded).
    """
    return get_cache().check().degraded
