"""Health scoring: each KPI against its target, and the overall status, in one place.

The dashboard's banner and cards and `glance report kpis` get their statuses from here (through
`db.queries.kpis`), so the status a user sees is the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from db.queries.figures import Metric


class Status(StrEnum):
    """How a KPI (or the business) stands against target."""

    ON_TRACK = "on_track"
    WATCH = "watch"
    OFF_TRACK = "off_track"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"


STATUS_LABELS = {
    Status.ON_TRACK: "On track",
    Status.WATCH: "Watch",
    Status.OFF_TRACK: "Off track",
    Status.NO_TARGET: "No target",
    Status.NO_DATA: "No data",
}

_SEVERITY = {Status.OFF_TRACK: 0, Status.WATCH: 1, Status.ON_TRACK: 2, Status.NO_TARGET: 3, Status.NO_DATA: 4}
PRIORITY_METRICS = (Metric.NET_REVENUE, Metric.OPERATING_PROFIT)
"""An off-track priority metric makes the whole business off track."""


@dataclass(frozen=True)
class Thresholds:
    """Shortfall bands: within `1 - on_track_ratio` of target is on track, within `1 - watch_ratio` is watch."""

    on_track_ratio: Decimal = Decimal("0.98")
    watch_ratio: Decimal = Decimal("0.90")
    off_track_share: Decimal = Decimal("0.25")


def severity(status: Status) -> int:
    """Sort key: off track first, then watch, on track, no target, no data."""
    return _SEVERITY[status]


def kpi_status(
    value: Decimal | None, target: Decimal | None, *, higher_is_better: bool, thresholds: Thresholds
) -> Status:
    """Score one value against its target."""
    if value is None:
        return Status.NO_DATA
    if target is None:
        return Status.NO_TARGET
    shortfall_amount = (target - value) if higher_is_better else (value - target)
    if target == 0:
        return Status.ON_TRACK if shortfall_amount <= 0 else Status.OFF_TRACK
    shortfall = shortfall_amount / abs(target)
    if shortfall <= 1 - thresholds.on_track_ratio:
        return Status.ON_TRACK
    if shortfall <= 1 - thresholds.watch_ratio:
        return Status.WATCH
    return Status.OFF_TRACK


@dataclass(frozen=True)
class Offender:
    """A KPI that is off target, and the territories where it is off target (worst first)."""

    metric: Metric
    label: str
    status: Status
    territories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Health:
    """The overall status and the counts and offenders behind it."""

    status: Status
    total: int
    on_track: int
    watch: int
    off_track: int
    no_target: int
    offenders: tuple[Offender, ...] = field(default_factory=tuple)

    @property
    def off_target(self) -> int:
        """KPIs on watch or off track."""
        return self.watch + self.off_track

    def headline(self) -> str:
        """The banner sentence in English, e.g. 'Watch: 2 of 8 KPIs off target: Gross margin (UK), Orders (ES)'."""
        label = STATUS_LABELS[self.status]
        if self.status is Status.NO_DATA:
            return f"{label}: no sales in this period yet. Import data to see how the business is doing."
        if self.status is Status.NO_TARGET:
            return f"{label}: no targets cover this period. Import targets to score the KPIs."
        if not self.off_target:
            return f"{label}: all {self.total - self.no_target} KPIs with a target are on target"
        details = ", ".join(
            f"{o.label} ({', '.join(o.territories)})" if o.territories else o.label for o in self.offenders
        )
        return f"{label}: {self.off_target} of {self.total} KPIs off target: {details}"


def overall_health(statuses: dict[Metric, Status], offenders: list[Offender], *, thresholds: Thresholds) -> Health:
    """Combine KPI statuses into one: off track if a priority KPI is off track or too many are."""
    counts = {status: sum(1 for s in statuses.values() if s is status) for status in Status}
    targeted = counts[Status.ON_TRACK] + counts[Status.WATCH] + counts[Status.OFF_TRACK]
    if statuses and all(s is Status.NO_DATA for s in statuses.values()):
        overall = Status.NO_DATA
    elif targeted == 0:
        overall = Status.NO_TARGET
    elif any(statuses.get(m) is Status.OFF_TRACK for m in PRIORITY_METRICS) or (
        Decimal(counts[Status.OFF_TRACK]) / targeted >= thresholds.off_track_share
    ):
        overall = Status.OFF_TRACK
    elif counts[Status.WATCH] or counts[Status.OFF_TRACK]:
        overall = Status.WATCH
    else:
        overall = Status.ON_TRACK
    return Health(
        status=overall,
        total=len(statuses),
        on_track=counts[Status.ON_TRACK],
        watch=counts[Status.WATCH],
        off_track=counts[Status.OFF_TRACK],
        no_target=counts[Status.NO_TARGET] + counts[Status.NO_DATA],
        offenders=tuple(sorted(offenders, key=lambda o: (severity(o.status), list(Metric).index(o.metric)))),
    )
