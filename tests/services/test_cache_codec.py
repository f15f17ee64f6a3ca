"""Cached query results come back with exactly the types and values they had."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from db.queries import (
    Breakdown,
    BreakdownRow,
    Dimension,
    Health,
    KpiCard,
    Metric,
    Offender,
    Period,
    Scorecard,
    SparkPoint,
    Status,
    Unit,
)
from services.cache.codec import CodecError, dumps, loads, params_hash


def _scorecard() -> Scorecard:
    period = Period(date(2025, 3, 1), date(2025, 3, 31))
    card = KpiCard(
        metric=Metric.NET_REVENUE,
        label="Net revenue",
        unit=Unit.MONEY,
        higher_is_better=True,
        value=Decimal("4120553.10"),
        target=Decimal("4000000.00"),
        prior=None,
        status=Status.ON_TRACK,
        spark=(SparkPoint(day=date(2025, 3, 1), value=Decimal("0.1")), SparkPoint(day=date(2025, 3, 2), value=None)),
    )
    health = Health(
        status=Status.WATCH,
        total=8,
        on_track=5,
        watch=2,
        off_track=1,
        no_target=0,
        offenders=(
            Offender(metric=Metric.OPEX, label="Operating expenses", status=Status.OFF_TRACK, territories=("UK", "DE")),
        ),
    )
    return Scorecard(period=period, prior_period=period.previous(), territory=None, cards=(card,), health=health)


def test_a_scorecard_round_trips_exactly_with_decimals_dates_enums_and_tuples() -> None:
    original = _scorecard()
    restored = loads(dumps(original))
    assert restored == original
    card = restored.cards[0]
    assert type(card.value) is Decimal and str(card.value) == "4120553.10"
    assert type(card.metric) is Metric and type(card.status) is Status
    assert type(restored.period.start) is date and isinstance(restored.cards, tuple)
    assert isinstance(card.spark, tuple) and card.spark[1].value is None


def test_a_breakdown_keeps_trailing_zeros_and_lists() -> None:
    row = BreakdownRow(net_revenue=Decimal("10.50"), cogs=Decimal("4.00"), units=3, orders=2, key="UK")
    original = Breakdown(by=Dimension.TERRITORY, start=date(2025, 1, 1), end=date(2025, 1, 31), rows=[row], total=row)
    restored = loads(dumps(original))
    assert restored == original
    assert str(restored.rows[0].net_revenue) == "10.50" and isinstance(restored.rows, list)
    assert restored.rows[0].gross_margin == Decimal("6.50")


def test_aware_datetimes_and_mappings_round_trip() -> None:
    value = {"at": datetime(2025, 5, 1, 12, 30, tzinfo=UTC), Metric.AOV: Decimal("1E+3"), "n": 3}
    assert loads(dumps(value)) == value
    assert loads(dumps(value))["at"].tzinfo is not None


@dataclass(frozen=True)
class NotRegistered:
    amount: Decimal


def test_an_unregistered_type_is_refused_when_caching() -> None:
    with pytest.raises(CodecError, match="not a registered cache type"):
        dumps(NotRegistered(Decimal(1)))


def test_floats_are_refused_so_money_never_turns_into_floats() -> None:
    with pytest.raises(CodecError, match="float"):
        dumps({"amount": 1.5})


def test_a_stored_entry_naming_an_unknown_type_is_refused_not_constructed() -> None:
    payload = b'{"$dc":"os:system","f":{"command":"true"}}'
    with pytest.raises(CodecError, match="not registered"):
        loads(payload)


def test_params_hash_ignores_argument_order_but_not_values() -> None:
    period = Period(date(2025, 1, 1), date(2025, 1, 31))
    assert params_hash({"period": period, "territory": "UK"}) == params_hash({"territory": "UK", "period": period})
    assert params_hash({"period": period, "territory": "UK"}) != params_hash({"period": period, "territory": "DE"})
