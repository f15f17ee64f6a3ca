"""Numbers and dates for people, with Babel: compact money on cards, exact money in tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from db.queries import Unit

DASH = "–"
DEFAULT_LOCALES = {"en": "en_GB", "vi": "vi_VN"}
# Glance's own short forms for thousands, millions, billions and trillions, by language. Figures
# look the same whatever locale data an install brings: Babel 2.19's CLDR turned en_GB's £23.4M
# into £23.4m overnight. The number itself (separators, sign, where the currency goes) is still
# the locale's.
COMPACT_SUFFIXES = {
    "en": ("K", "M", "B", "T"),
    "vi": ("\xa0N", "\xa0Tr", "\xa0T", "\xa0NT"),
}
_ONE_DECIMAL = Decimal("0.1")


def _compact(value: Decimal, language: str) -> tuple[Decimal, str]:
    """`value` scaled to the largest of thousands, millions, … that keeps it at 1 or more, and its suffix."""
    suffixes = COMPACT_SUFFIXES.get(language, COMPACT_SUFFIXES["en"])
    for power in range(len(suffixes), 0, -1):
        scaled = (value / Decimal(1000) ** power).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_EVEN)
        if abs(scaled) >= 1:
            return scaled, suffixes[power - 1]
    return value, ""


def _compact_number(suffix: str) -> str:
    """A CLDR number pattern with one optional decimal and a literal suffix (#,##0.#'K')."""
    return f"#,##0.#'{suffix}'"


def locale_for(language: str, accept_language: str | None) -> Locale:
    """The browser's own locale when it speaks `language` (en_US keeps US dates), else a default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if tag[:2].lower() != language:
            continue
        try:
            return Locale.parse(tag, sep="-") if "-" in tag else Locale.parse(DEFAULT_LOCALES.get(language, tag))
        except (UnknownLocaleError, ValueError):
            break
    return Locale.parse(DEFAULT_LOCALES.get(language, "en_GB"))


@dataclass(frozen=True)
class Formatter:
    """Formats figures from `db.queries` for one locale and reporting currency."""

    locale: Locale
    currency: str

    def money(self, value: Decimal | None) -> str:
        """Exact money with currency and thousands separators (tables)."""
        return DASH if value is None else format_currency(value, self.currency, locale=self.locale)

    def money_compact(self, value: Decimal | None) -> str:
        """Short money such as £23.4M (cards); exact below a thousand."""
        if value is None:
            return DASH
        if abs(value) < 1000:
            return self.money(value)
        scaled, suffix = _compact(value, self.locale.language)
        return self._money_as(scaled, number=_compact_number(suffix))

    def money_axis(self, value: Decimal) -> str:
        """A chart axis label: compact from a thousand up, whole units below (£500, £2.5, £1.2K)."""
        if abs(value) >= 1000:
            return self.money_compact(value)
        return self._money_as(value, number="#,##0.##")

    def _money_as(self, value: Decimal, *, number: str) -> str:
        """Money in the locale's currency pattern (sign, symbol, spacing), its number written as `number`."""
        pattern = self.locale.currency_formats["standard"].pattern.replace("#,##0.00", number)
        return format_currency(value, self.currency, format=pattern, locale=self.locale, currency_digits=False)

    def count(self, value: int | Decimal | None) -> str:
        """A whole number with thousands separators."""
        return DASH if value is None else format_decimal(value, format="#,##0", locale=self.locale)

    def count_compact(self, value: int | Decimal | None) -> str:
        """A short whole number such as 12.3K."""
        if value is None:
            return DASH
        number = Decimal(value)  # exact for an int; typeshed's abs() cannot type an `int | Decimal`
        if abs(number) < 10_000:
            return self.count(value)
        scaled, suffix = _compact(number, self.locale.language)
        return format_decimal(scaled, format=_compact_number(suffix), locale=self.locale)

    def percent(self, ratio: Decimal | None) -> str:
        """A fraction as a percentage with one decimal (0.4215 is 42.2 %)."""
        return DASH if ratio is None else format_percent(ratio, format="#,##0.0%", locale=self.locale)

    def change(self, ratio: Decimal | None) -> str:
        """A signed percentage change, +5.0% or −3.2%."""
        if ratio is None:
            return DASH
        text = self.percent(abs(ratio))
        return f"+{text}" if ratio > 0 else f"−{text}" if ratio < 0 else text

    def metric(self, unit: Unit, value: Decimal | None, *, compact: bool = True) -> str:
        """A KPI value in its unit."""
        if unit is Unit.MONEY:
            return self.money_compact(value) if compact else self.money(value)
        if unit is Unit.PERCENT:
            return self.percent(value)
        return self.count_compact(value) if compact else self.count(value)

    def day(self, value: date | None) -> str:
        """A date, e.g. 4 Mar 2025."""
        return DASH if value is None else format_date(value, format="medium", locale=self.locale)

    def moment(self, value: datetime | None) -> str:
        """A date and time, e.g. 4 Mar 2025, 14:05:09."""
        return DASH if value is None else format_datetime(value, format="medium", locale=self.locale)

    def month(self, iso: str) -> str:
        """An ISO month key (2025-03-01) as a month name and year."""
        return format_date(date.fromisoformat(iso), format="MMM y", locale=self.locale)
