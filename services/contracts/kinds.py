"""The canonical fields of each import kind: types, which are required, and documented defaults.

A file's own headers are matched to these names (case and spacing ignored) or mapped with
`field=column`. A blank or missing optional field takes its default, and the run report says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.models import ALL_TERRITORIES
from services.contracts.report import ImportKind

UNASSIGNED = "Unassigned"
REPORTING_CURRENCY = "<reporting currency>"
"""Placeholder default: replaced by the `reporting_currency` setting when the file is read."""

KPI_METRICS = (
    "net_revenue",
    "gross_margin",
    "gross_margin_pct",
    "units",
    "orders",
    "aov",
    "opex",
    "operating_profit",
)
OPEX_CATEGORY_PREFIX = "opex:"


class ValueType(StrEnum):
    """How a field's text is read."""

    text = "text"
    currency = "currency"
    money = "money"
    number = "number"
    rate = "rate"
    integer = "integer"
    date = "date"
    month = "month"
    metric = "metric"
    role = "role"
    secret = "secret"
    scope = "scope"
    """Territories as `glance users add --territories` takes them: `*`, or a list such as `UK,IE`."""


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field of an import kind."""

    name: str
    type: ValueType
    required: bool = False
    default: str | None = None
    max_length: int = 100


@dataclass(frozen=True)
class KindSpec:
    """Everything the validator needs to know about one kind of file."""

    kind: ImportKind
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]
    date_field: str | None
    one_of: tuple[tuple[str, ...], ...] = ()

    def field(self, name: str) -> FieldSpec:
        """The spec of the field called `name`."""
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> list[str]:
        """Every field name, in documented order."""
        return [f.name for f in self.fields]


SALES = KindSpec(
    kind=ImportKind.sales,
    fields=(
        # external_id and order_id default to each other: one of them must be in the file.
        FieldSpec("external_id", ValueType.text, max_length=200),
        FieldSpec("order_id", ValueType.text, max_length=200),
        FieldSpec("order_date", ValueType.date, required=True),
        FieldSpec("territory", ValueType.text, required=True),
        FieldSpec("channel", ValueType.text, default=UNASSIGNED),
        FieldSpec("product", ValueType.text, default=UNASSIGNED, max_length=200),
        FieldSpec("category", ValueType.text, default=UNASSIGNED),
        FieldSpec("units", ValueType.integer, required=True),
        FieldSpec("unit_price", ValueType.money),
        FieldSpec("net_revenue", ValueType.money),
        FieldSpec("unit_cost", ValueType.money),
        FieldSpec("cogs", ValueType.money, default="0.00"),
        FieldSpec("currency", ValueType.currency, default=REPORTING_CURRENCY),
    ),
    key=("external_id",),
    date_field="order_date",
    one_of=(("external_id", "order_id"), ("net_revenue", "unit_price")),
)

EXPENSES = KindSpec(
    kind=ImportKind.expenses,
    fields=(
        FieldSpec("month", ValueType.month, required=True),
        FieldSpec("territory", ValueType.text, required=True),
        FieldSpec("category", ValueType.text, required=True),
        FieldSpec("amount", ValueType.money, required=True),
        FieldSpec("currency", ValueType.currency, default=REPORTING_CURRENCY),
    ),
    key=("month", "territory", "category"),
    date_field="month",
)

TARGETS = KindSpec(
    kind=ImportKind.targets,
    fields=(
        FieldSpec("month", ValueType.month, required=True),
        FieldSpec("territory", ValueType.text, default=ALL_TERRITORIES),
        FieldSpec("metric", ValueType.metric, required=True, max_length=50),
        FieldSpec("value", ValueType.number, required=True),
    ),
    key=("month", "territory", "metric"),
    date_field="month",
)

FX_RATES = KindSpec(
    kind=ImportKind.fx_rates,
    fields=(
        FieldSpec("month", ValueType.month, required=True),
        FieldSpec("currency", ValueType.currency, required=True),
        FieldSpec("rate", ValueType.rate, required=True),
    ),
    key=("month", "currency"),
    date_field="month",
)

USERS = KindSpec(
    kind=ImportKind.users,
    fields=(
        FieldSpec("username", ValueType.text, required=True),
        FieldSpec("role", ValueType.role, default="viewer", max_length=16),
        FieldSpec("display_name", ValueType.text, default="", max_length=200),
        FieldSpec("language", ValueType.text, default="", max_length=16),
        FieldSpec("password", ValueType.secret, max_length=1000),
        # Optional column; where a file has it, every row must fill it (a blank is rejected).
        FieldSpec("territories", ValueType.scope, max_length=1000),
    ),
    key=("username",),
    date_field=None,
)

KINDS: dict[ImportKind, KindSpec] = {spec.kind: spec for spec in (SALES, EXPENSES, TARGETS, FX_RATES, USERS)}
