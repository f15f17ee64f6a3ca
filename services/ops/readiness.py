"""`/readyz` and `glance health`: every readiness check together, with the age of the newest data.

The database, schema and code checks come from `services.runtime.probes`; this adds Redis (when
configured) and freshness. Stale data never fails readiness: it is reported beside the checks.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from services.cache.query_cache import Cache
from services.ops.freshness import FreshnessItem, freshness_now
from services.runtime import metrics
from services.runtime.build_info import SourceCheck
from services.runtime.probes import CheckResult, CheckState, database_checks, probe_database, sources_check
from services.runtime.settings import Settings


class ReadyState(StrEnum):
    READY = "ready"
    MIGRATING = "migrating"
    UNAVAILABLE = "unavailable"


class Readiness(BaseModel):
    """All readiness checks together; `status` is what `/readyz` answers."""

    model_config = ConfigDict(frozen=True)

    status: ReadyState
    failing: list[str]
    checks: list[CheckResult]
    freshness: list[FreshnessItem] = Field(
        default_factory=list, description="newest data age per import kind and source; stale never fails readiness"
    )

    @property
    def ready(self) -> bool:
        return self.status is ReadyState.READY


def redis_check(cache: Cache, settings: Settings) -> CheckResult:
    """Redis answers a ping (skipped when no Redis is configured)."""
    if not settings.redis_url:
        return CheckResult(name="redis", state=CheckState.SKIPPED, detail="not configured (in-process cache)")
    status = cache.check()
    if status.degraded:
        return CheckResult(name="redis", state=CheckState.FAILING, detail=f"redis unavailable: {status.reason}")
    return CheckResult(name="redis", state=CheckState.OK, detail="reachable")


def readiness(*, engine: Engine, settings: Settings, cache: Cache, sources: SourceCheck | None = None) -> Readiness:
    """Every readiness check: database, schema at head, Redis when configured, sources (checked now unless given)."""
    probe = probe_database(engine)
    checks = [*database_checks(probe), redis_check(cache, settings), sources_check(sources)]
    metrics.record_dependency("database", up=not probe.error)
    if settings.redis_url:
        metrics.record_dependency("redis", up=checks[2].passed)
    failing = [check.name for check in checks if not check.passed]
    if not failing:
        status = ReadyState.READY
    elif all(check.state is CheckState.MIGRATING for check in checks if not check.passed):
        status = ReadyState.MIGRATING
    else:
        status = ReadyState.UNAVAILABLE
    freshness = freshness_now(engine, settings=settings) if probe.schema is not None and probe.schema.at_head else []
    return Readiness(status=status, failing=failing, checks=checks, freshness=freshness)
