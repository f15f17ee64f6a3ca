"""Retry a pull step with exponential backoff and full jitter; only transient failures are retried."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import structlog

from services.sources.config import RetryPolicy
from services.sources.errors import TransientPullError

T = TypeVar("T")
log = structlog.get_logger(__name__)


def backoff_delay(policy: RetryPolicy, *, attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): full jitter under a capped doubling."""
    # int ** int is typed Any (a negative exponent gives a float); `attempt` is at least 1.
    ceiling: float = min(policy.max_backoff_s, policy.backoff_s * 2 ** (attempt - 1))
    return ceiling * rng()


def with_retries(
    step: Callable[[], T], *, policy: RetryPolicy, what: str, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run `step`; on TransientPullError wait and try again, up to `policy.attempts` in all."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return step()
        except TransientPullError as exc:
            if attempt == policy.attempts:
                raise TransientPullError(
                    f"{exc.problem} (gave up after {attempt} attempt{'s' if attempt > 1 else ''})", fix=exc.fix
                ) from exc
            delay = backoff_delay(policy, attempt=attempt)
            log.warning(
                "pull step failed, retrying", what=what, attempt=attempt, retry_in_s=round(delay, 2), error=exc.problem
            )
            sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
