"""Realistic, deterministic demo data: 14 territories, 4 channels, 5 categories, 24 months.

Everything is drawn from one seed with numpy, month by month, so memory stays flat from
tens of thousands of lines up to millions. Lines are priced in each territory's currency and
converted with monthly FX rates, like real multi-currency data. Targets are last year's
actuals plus a growth goal (the first year: actuals with noise), so some KPIs miss target.
Expenses and targets are whole-month amounts, the month in progress included: it is sized to
what the whole month is expected to sell, not to the days generated so far.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from db.data_version import bump_data_version
from db.dates import month_end, months_between
from db.fx import MONEY, RATE, to_reporting
from db.models import ALL_TERRITORIES, ImportRun
from db.types import utcnow
from db.writes import store_expenses, store_fx_rates, store_sales, store_targets

DEMO_SOURCE = "demo"

# (territory, currency, share of orders, yearly growth)
TERRITORIES = (
    ("UK", "GBP", 0.20, 1.12),
    ("DE", "EUR", 0.12, 1.10),
    ("FR", "EUR", 0.10, 1.09),
    ("ES", "EUR", 0.07, 0.97),
    ("IT", "EUR", 0.07, 1.03),
    ("NL", "EUR", 0.06, 1.14),
    ("IE", "EUR", 0.04, 1.11),
    ("BE", "EUR", 0.04, 1.08),
    ("PT", "EUR", 0.03, 1.06),
    ("SE", "SEK", 0.05, 1.10),
    ("NO", "NOK", 0.04, 1.07),
    ("DK", "DKK", 0.04, 1.12),
    ("PL", "PLN", 0.06, 1.18),
    ("CH", "CHF", 0.04, 1.05),
)
GBP_PER_UNIT = {"GBP": 1.0, "EUR": 0.86, "SEK": 0.075, "NOK": 0.074, "DKK": 0.115, "PLN": 0.197, "CHF": 0.90}
CHANNELS = (("Online", 0.45), ("Retail", 0.30), ("Marketplace", 0.15), ("Wholesale", 0.10))
CATEGORIES = (
    ("Apparel", ("Shirt", "Jacket", "Dress", "Jumper", "Trousers", "Coat"), 45.0, 0.48),
    ("Footwear", ("Trainer", "Boot", "Sandal", "Loafer", "Runner"), 70.0, 0.52),
    ("Accessories", ("Bag", "Belt", "Scarf", "Wallet", "Cap", "Watch"), 30.0, 0.40),
    ("Home", ("Candle", "Throw", "Cushion", "Vase", "Lamp"), 38.0, 0.45),
    ("Beauty", ("Serum", "Balm", "Cleanser", "Fragrance", "Mask"), 24.0, 0.35),
)
STYLES = ("Classic", "Urban", "Coastal", "Alpine", "Studio", "Heritage", "Nova", "Meadow", "Harbour", "Linen")
EXPENSE_SHARES = (("Salaries", 0.14), ("Rent", 0.05), ("Marketing", 0.06), ("Logistics", 0.05), ("IT", 0.03))
TARGET_GROWTH = 1.10
MARKETING_PUSH = 1.35
"""Marketing spend runs over budget in the newest two months, as it does in real life."""


@dataclass(frozen=True)
class DemoPlan:
    """What to generate: how many sales lines over how many months ending on `end`."""

    lines: int = 50_000
    months: int = 24
    end: date = field(default_factory=date.today)
    seed: int = 42

    @property
    def first_day(self) -> date:
        first = self.end.replace(day=1)
        for _ in range(self.months - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        return first


@dataclass(frozen=True)
class _Catalogue:
    names: np.ndarray
    categories: np.ndarray
    price_gbp: np.ndarray
    cost_ratio: np.ndarray
    popularity: np.ndarray


def _catalogue(rng: np.random.Generator, size: int = 300) -> _Catalogue:
    names, categories, prices, costs = [], [], [], []
    per_category = size // len(CATEGORIES)
    for category, items, base_price, cost_ratio in CATEGORIES:
        for i in range(per_category):
            names.append(f"{STYLES[i % len(STYLES)]} {items[i % len(items)]} {i // len(items) + 1:02d}")
            categories.append(category)
            prices.append(round(base_price * float(rng.lognormal(0.0, 0.35)), 2))
            costs.append(min(max(cost_ratio + float(rng.normal(0, 0.05)), 0.2), 0.8))
    popularity = 1.0 / np.arange(1, len(names) + 1) ** 0.8
    rng.shuffle(popularity)
    return _Catalogue(
        names=np.array(names),
        categories=np.array(categories),
        price_gbp=np.array(prices),
        cost_ratio=np.array(costs),
        popularity=popularity / popularity.sum(),
    )


def _day_weights(days: list[date], first: date, growth: float) -> np.ndarray:
    age_years = np.array([(d - first).days / 365.25 for d in days])
    weekday = np.array([1.18 if d.weekday() >= 5 else 1.0 for d in days])
    season = np.array([1.0 + 0.35 * (d.month in (11, 12)) - 0.12 * (d.month in (7, 8)) for d in days])
    weights: np.ndarray = growth**age_years * weekday * season
    return weights


def fx_rates(plan: DemoPlan) -> pl.DataFrame:
    """Monthly rates (GBP per unit) following a small random walk per currency."""
    rng = np.random.default_rng(plan.seed + 1)
    months = months_between(plan.first_day, plan.end)
    rows = []
    for currency, base in GBP_PER_UNIT.items():
        if currency == "GBP":
            continue
        walk = base * np.cumprod(1 + rng.normal(0, 0.01, len(months)))
        rows += [(month, currency, Decimal(f"{rate:.6f}")) for month, rate in zip(months, walk, strict=True)]
    return pl.DataFrame(rows, schema={"month": pl.Date, "currency": pl.String, "rate": RATE}, orient="row")


def sales_batches(plan: DemoPlan, rates: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """Sales lines one month at a time, converted to the reporting currency (GBP)."""
    rng = np.random.default_rng(plan.seed)
    catalogue = _catalogue(rng)
    days = [plan.first_day + timedelta(days=i) for i in range((plan.end - plan.first_day).days + 1)]
    territory_names = np.array([t[0] for t in TERRITORIES])
    currencies = np.array([t[1] for t in TERRITORIES])
    weights = np.stack([_day_weights(days, plan.first_day, t[3]) * t[2] for t in TERRITORIES])
    weights /= weights.sum()
    lines_per_cell = rng.multinomial(plan.lines, weights.ravel()).reshape(weights.shape)
    channel_names = np.array([c[0] for c in CHANNELS])
    channel_p = np.array([c[1] for c in CHANNELS])
    next_line, next_order = 0, 0
    for month in months_between(plan.first_day, plan.end):
        index = [i for i, d in enumerate(days) if d.year == month.year and d.month == month.month]
        counts = lines_per_cell[:, index]
        n = int(counts.sum())
        if n == 0:
            continue
        territory_idx = np.repeat(np.repeat(np.arange(len(TERRITORIES)), len(index)), counts.ravel())
        day_idx = np.repeat(np.tile(np.array(index), len(TERRITORIES)), counts.ravel())
        # Lines group into orders of one to four lines, within one territory and day.
        order_break = rng.random(n) < 0.45
        order_break[0] = True
        order_break[1:] |= (territory_idx[1:] != territory_idx[:-1]) | (day_idx[1:] != day_idx[:-1])
        order_no = next_order + np.cumsum(order_break) - 1
        order_channel = rng.choice(len(CHANNELS), size=int(order_no[-1] - next_order + 1), p=channel_p)
        channel_idx = order_channel[order_no - next_order]
        product_idx = rng.choice(len(catalogue.names), size=n, p=catalogue.popularity)
        units = 1 + rng.poisson(0.6, n) + (channel_names[channel_idx] == "Wholesale") * rng.poisson(6, n)
        local_rate = np.array([GBP_PER_UNIT[c] for c in currencies[territory_idx]])
        unit_price = np.round(catalogue.price_gbp[product_idx] / local_rate, 2)
        discount = 1 - rng.choice([0.0, 0.0, 0.05, 0.1, 0.15], n)
        revenue = np.round(units * unit_price * discount, 2)
        cogs = np.round(units * unit_price * catalogue.cost_ratio[product_idx], 2)
        frame = pl.DataFrame(
            {
                "source": DEMO_SOURCE,
                "external_id": [f"DEMO-{i:09d}" for i in range(next_line, next_line + n)],
                "order_id": [f"SO-{o:09d}" for o in order_no],
                "order_date": [days[i] for i in day_idx],
                "territory": territory_names[territory_idx],
                "channel": channel_names[channel_idx],
                "product": catalogue.names[product_idx],
                "category": catalogue.categories[product_idx],
                "units": units.astype(np.int64),
                "currency": currencies[territory_idx],
                "net_revenue": pl.Series([f"{v:.2f}" for v in revenue]).cast(MONEY),
                "cogs": pl.Series([f"{v:.2f}" for v in cogs]).cast(MONEY),
            }
        )
        next_line += n
        next_order = int(order_no[-1]) + 1
        yield to_reporting(
            frame,
            rates=rates,
            reporting_currency="GBP",
            date_column="order_date",
            amounts={"net_revenue": "net_revenue_rc", "cogs": "cogs_rc"},
        ).frame


def _monthly_actuals(batch: pl.DataFrame) -> pl.DataFrame:
    return batch.group_by(pl.col("order_date").dt.month_start().alias("month"), "territory").agg(
        pl.col("net_revenue_rc").sum().alias("net_revenue"),
        pl.col("cogs_rc").sum().alias("cogs"),
        pl.col("units").sum().alias("units"),
        pl.col("order_id").n_unique().alias("orders"),
    )


def whole_month_actuals(plan: DemoPlan, actuals: pl.DataFrame) -> pl.DataFrame:
    """Monthly actuals with the month in progress replaced by what the whole month is expected to sell.

    Expenses and targets are amounts for a whole month, so they are sized to the whole month,
    not to the days generated so far. A territory's expected month is what it sold per unit of
    the generator's day weight over all generated days, times the whole month's weight.
    """
    # Sorted, because expenses and targets draw their noise row by row and group_by order varies between runs.
    if plan.end == month_end(plan.end):
        return actuals.sort("month", "territory")
    current = plan.end.replace(day=1)
    generated = [plan.first_day + timedelta(days=i) for i in range((plan.end - plan.first_day).days + 1)]
    month = [current + timedelta(days=i) for i in range(month_end(current).day)]
    scale = {
        name: float(
            _day_weights(month, plan.first_day, growth).sum() / _day_weights(generated, plan.first_day, growth).sum()
        )
        for name, _, _, growth in TERRITORIES
    }
    sums = ("net_revenue", "cogs", "units", "orders")
    expected = (
        actuals.group_by("territory")
        .agg(pl.col(*sums).sum())
        .with_columns(pl.col("territory").replace_strict(scale, return_dtype=pl.Float64).alias("scale"))
        .select(
            pl.lit(current).alias("month"),
            "territory",
            *(
                (pl.col(name).cast(pl.Float64) * pl.col("scale")).round(2 if dtype.is_decimal() else 0).cast(dtype)
                for name, dtype in actuals.select(sums).schema.items()
            ),
        )
    )
    return pl.concat([actuals.filter(pl.col("month") != current), expected]).sort("month", "territory")


def expenses(plan: DemoPlan, actuals: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """Monthly expenses by territory and category, sized to revenue, in local currency."""
    rng = np.random.default_rng(plan.seed + 2)
    currency_of = {t[0]: t[1] for t in TERRITORIES}
    rows = []
    for month, territory, revenue in actuals.select("month", "territory", "net_revenue").iter_rows():
        local = float(revenue) / GBP_PER_UNIT[currency_of[territory]]
        recent = month >= (plan.end.replace(day=1) - timedelta(days=1)).replace(day=1)
        for category, share in EXPENSE_SHARES:
            push = MARKETING_PUSH if recent and category == "Marketing" else 1.0
            amount = local * share * push * float(rng.normal(1.0, 0.06))
            rows.append((month, territory, category, currency_of[territory], Decimal(f"{amount:.2f}")))
    frame = pl.DataFrame(
        rows,
        schema={
            "month": pl.Date,
            "territory": pl.String,
            "category": pl.String,
            "currency": pl.String,
            "amount": MONEY,
        },
        orient="row",
    ).with_columns(pl.lit(DEMO_SOURCE).alias("source"))
    return to_reporting(
        frame, rates=rates, reporting_currency="GBP", date_column="month", amounts={"amount": "amount_rc"}
    ).frame


def targets(plan: DemoPlan, actuals: pl.DataFrame, opex: pl.DataFrame) -> pl.DataFrame:
    """Per-territory and whole-business monthly targets: last year's actual plus growth."""
    rng = np.random.default_rng(plan.seed + 3)
    opex_by = opex.group_by("month", "territory").agg(pl.col("amount_rc").sum().alias("opex"))
    per_category = opex.select("month", "territory", "category", "amount_rc")
    base = actuals.join(opex_by, on=["month", "territory"], how="left").with_columns(pl.col("opex").fill_null(0))
    whole = (
        base.group_by("month")
        .agg(pl.exclude("territory").sum())
        .with_columns(pl.lit(ALL_TERRITORIES).alias("territory"))
    )
    categories_whole = (
        per_category.group_by("month", "category")
        .agg(pl.col("amount_rc").sum())
        .with_columns(pl.lit(ALL_TERRITORIES).alias("territory"))
    )
    per_category = pl.concat([per_category, categories_whole.select(per_category.columns)])
    facts = pl.concat([base, whole.select(base.columns)]).sort("month", "territory")
    lookup = {
        (m, t): row
        for m, t, *row in facts.select(
            "month", "territory", "net_revenue", "cogs", "units", "orders", "opex"
        ).iter_rows()
    }
    cat_lookup = {(m, t, c): a for m, t, c, a in per_category.iter_rows()}
    rows = []
    for (month, territory), (revenue, cogs, units, orders, opex_total) in lookup.items():
        last_year = lookup.get((month.replace(year=month.year - 1), territory))
        if last_year is not None:
            factor = Decimal(str(TARGET_GROWTH))
            revenue, cogs, units, orders, opex_total = last_year
        else:
            factor = Decimal(f"{rng.uniform(0.97, 1.05):.3f}")
        revenue_t = revenue * factor
        margin_t = (revenue - cogs) * factor
        opex_t = opex_total * Decimal("1.03")
        orders_t = Decimal(orders) * factor
        metrics = {
            "net_revenue": revenue_t,
            "gross_margin": margin_t,
            "gross_margin_pct": (revenue - cogs) / revenue if revenue else None,
            "units": Decimal(units) * factor,
            "orders": orders_t,
            "aov": revenue_t / orders_t if orders_t else None,
            "opex": opex_t,
            "operating_profit": margin_t - opex_t,
        }
        for category, _ in EXPENSE_SHARES:
            amount = cat_lookup.get((month.replace(year=month.year - 1), territory, category)) if last_year else None
            amount = amount if amount is not None else cat_lookup.get((month, territory, category))
            if amount is not None:
                metrics[f"opex:{category}"] = amount * Decimal("1.03")
        rows += [
            (month, territory, name, value.quantize(Decimal("0.0001")), DEMO_SOURCE)
            for name, value in metrics.items()
            if value is not None
        ]
    return pl.DataFrame(
        rows,
        schema={
            "month": pl.Date,
            "territory": pl.String,
            "metric": pl.String,
            "value": pl.Decimal(18, 4),
            "source": pl.String,
        },
        orient="row",
    )


@dataclass(frozen=True)
class SeedResult:
    """What seeding stored."""

    lines: int
    expenses: int
    targets: int
    first_day: date
    last_day: date
    data_version: int


def seed_demo(session: Session, *, plan: DemoPlan) -> SeedResult:
    """Generate and store the demo data as one import run, in the caller's transaction."""
    # Recorded as a sales import, its main content, so import history lists it like any other run.
    run = ImportRun(
        kind="sales", source=DEMO_SOURCE, filename="(generated demo data)", status="running", requested_by="glance demo"
    )
    session.add(run)
    session.flush()
    rates = fx_rates(plan)
    store_fx_rates(session, frame=rates, import_run_id=run.id)
    lines, actuals = 0, []
    for batch in sales_batches(plan, rates):
        lines += store_sales(session, frame=batch, import_run_id=run.id).inserted
        actuals.append(_monthly_actuals(batch))
    monthly = whole_month_actuals(plan, pl.concat(actuals))
    opex = expenses(plan, monthly, rates)
    store_expenses(session, frame=opex, import_run_id=run.id)
    goal = targets(plan, monthly, opex)
    store_targets(session, frame=goal, import_run_id=run.id)
    version = bump_data_version(session)
    run.status, run.finished_at, run.rows_read, run.inserted, run.data_version = (
        "succeeded",
        utcnow(),
        lines,
        lines,
        version,
    )
    session.add(run)
    return SeedResult(
        lines=lines,
        expenses=opex.height,
        targets=goal.height,
        first_day=plan.first_day,
        last_day=plan.end,
        data_version=version,
    )
