"""Words and numbers people read: every text in both languages, money and dates for the locale."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dashboard.formatting import Formatter, locale_for
from dashboard.text import CATALOGUE, LANGUAGES, Translator, choose_language
from dashboard.views.banner import headline
from db.queries import Health, Metric, Offender, Status


def fmt(language: str, accept: str | None = None) -> Formatter:
    return Formatter(locale=locale_for(language, accept), currency="GBP")


def test_every_text_exists_in_every_language() -> None:
    missing = [key for key, texts in CATALOGUE.items() for language in LANGUAGES if not texts.get(language)]

    assert missing == []


def test_cards_show_compact_money_and_tables_show_it_exact() -> None:
    english = fmt("en")

    assert english.money_compact(Decimal("23412345.67")) == "£23.4M"
    assert english.money(Decimal("23412345.67")) == "£23,412,345.67"
    assert english.money_compact(Decimal("950.50")) == "£950.50"


@pytest.mark.parametrize(
    ("language", "browser", "value", "expected"),
    [
        # Glance's own short forms (dashboard.formatting.COMPACT_SUFFIXES), whatever the installed
        # locale data says: Babel 2.19's en_GB would write £23.4m, en_US £23.4M.
        ("en", "en-GB", "23412345.67", "£23.4M"),
        ("en", "en-US", "23412345.67", "£23.4M"),
        ("en", "en-GB", "1234.00", "£1.2K"),
        ("en", "en-GB", "4567890123", "£4.6B"),
        ("en", "en-GB", "-23412345.67", "-£23.4M"),
        ("en", "en-GB", "23000000", "£23M"),
        # 999,960 rounds to 1,000.0 thousand: it is written as a million, never "£1000K".
        ("en", "en-GB", "999960", "£1M"),
        ("vi", None, "23412345.67", "23,4\xa0Tr\xa0£"),
        ("vi", None, "1234.00", "1,2\xa0N\xa0£"),
    ],
)
def test_compact_money_is_written_the_same_whatever_the_locale_data(
    language: str, browser: str | None, value: str, expected: str
) -> None:
    assert fmt(language, browser).money_compact(Decimal(value)) == expected


def test_compact_counts_use_the_same_short_forms() -> None:
    assert fmt("en", "en-GB").count_compact(23_412_345) == "23.4M"
    assert fmt("en", "en-GB").count_compact(12_345) == "12.3K"
    assert fmt("vi").count_compact(12_345) == "12,3\xa0N"


def test_vietnamese_numbers_and_dates_use_vietnamese_conventions() -> None:
    vietnamese = fmt("vi")

    assert vietnamese.money(Decimal("1234.5")) == "1.234,50\xa0£"
    assert vietnamese.percent(Decimal("0.4215")) == "42,2%"
    assert vietnamese.day(date(2025, 3, 4)) == "4 thg 3, 2025"


def test_an_american_browser_gets_american_dates() -> None:
    assert fmt("en", "en-US,en;q=0.9").day(date(2025, 3, 4)) == "Mar 4, 2025"
    assert fmt("en", "en-GB").day(date(2025, 3, 4)) == "4 Mar 2025"


def test_changes_are_signed_and_missing_values_are_a_dash() -> None:
    english = fmt("en")

    assert english.change(Decimal("0.052")) == "+5.2%"
    assert english.change(Decimal("-0.032")) == "−3.2%"
    assert english.money(None) == "–"


@pytest.mark.parametrize(
    ("saved", "browser", "expected"),
    [("vi", "en-GB", "vi"), ("", "vi-VN,vi;q=0.9,en;q=0.8", "vi"), ("", "fr-FR,en;q=0.5", "en"), ("", None, "en")],
)
def test_the_language_is_the_users_choice_then_the_browsers(saved: str, browser: str | None, expected: str) -> None:
    assert choose_language(saved, browser) == expected


def test_the_vietnamese_banner_says_the_same_as_the_english_one() -> None:
    health = Health(
        status=Status.WATCH,
        total=8,
        on_track=6,
        watch=2,
        off_track=0,
        no_target=0,
        offenders=(
            Offender(metric=Metric.GROSS_MARGIN, label="Gross margin", status=Status.WATCH, territories=("UK",)),
            Offender(metric=Metric.ORDERS, label="Orders", status=Status.WATCH, territories=("ES",)),
        ),
    )

    assert headline(health, Translator("en")) == "Watch: 2 of 8 KPIs off target: Gross margin (UK), Orders (ES)"
    assert headline(health, Translator("vi")) == (
        "Cần theo dõi: 2 trên 8 KPI chưa đạt mục tiêu: Lợi nhuận gộp (UK), Đơn hàng (ES)"
    )


def test_axis_labels_are_whole_units_below_a_thousand_and_compact_above() -> None:
    english = fmt("en", "en-GB")

    assert [english.money_axis(Decimal(v)) for v in ("0", "2.5", "500", "1500")] == ["£0", "£2.5", "£500", "£1.5K"]
