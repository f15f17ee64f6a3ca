"""When a source (or the backup job) runs: a cron expression or `every 15m`, as an APScheduler trigger."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_EVERY = re.compile(r"^every\s+((?:\d+\s*[smhd]\s*)+)$", re.IGNORECASE)
_PART = re.compile(r"(\d+)\s*([smhd])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_schedule(text: str) -> BaseTrigger:
    """`every 15m` / `every 1h30m` (interval) or a 5-field cron expression (UTC); ValueError names the fix."""
    text = text.strip()
    every = _EVERY.match(text)
    if every:
        seconds = sum(int(n) * _UNIT_SECONDS[unit.lower()] for n, unit in _PART.findall(every.group(1)))
        if seconds <= 0:
            raise ValueError(f"schedule {text!r} is zero; give a positive interval such as 'every 15m'")
        return IntervalTrigger(seconds=seconds, timezone=UTC)
    try:
        return CronTrigger.from_crontab(text, timezone=UTC)
    except ValueError as exc:
        raise ValueError(
            f"schedule {text!r} is neither 'every <N><s|m|h|d>' nor a 5-field cron expression ({exc})"
        ) from exc


def parse_duration(text: str) -> timedelta:
    """`26h`, `90m`, `2d`, `1h30m` as a timedelta."""
    parts = _PART.findall(text)
    if not parts or _PART.sub("", text).strip():
        raise ValueError(f"duration {text!r} is not like '26h', '90m' or '2d'")
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[unit.lower()] for n, unit in parts))
