"""`glance report`: the same exact figures as `db.queries`, in table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from services.runtime.settings import Settings
from tests.cli.conftest import run_glance
from tests.factories import sale, store_expense_lines, store_sales_lines


def _env(settings: Settings) -> dict[str, str]:
    return {"GLANCE_DATABASE_URL": settings.database_url, "GLANCE_DATA_DIR": str(settings.data_dir)}


def _seed(session: Session) -> None:
    store_sales_lines(
        session,
        [
            sale(territory="UK", channel="Online", net_revenue="0.10", cogs="0.05", order_date=date(2025, 1, 2)),
            sale(territory="UK", channel="Retail", net_revenue="0.20", cogs="0.05", order_date=date(2025, 2, 2)),
            sale(
                territory="FR", channel="Online", net_revenue="1234567.89", cogs="1000.00", order_date=date(2025, 2, 3)
            ),
        ],
    )
    store_expense_lines(session, [(date(2025, 2, 1), "FR", "Rent", "2800.00")])


def test_sales_report_json_is_exact_and_ordered_by_revenue(session: Session, glance_env: Settings) -> None:
    _seed(session)

    result = run_glance("report", "sales", "--by", "territory", "--format", "json", env=_env(glance_env))

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["by"] == "territory" and report["from"] == "2025-01-02" and report["to"] == "2025-02-03"
    assert [(r["key"], r["net_revenue"], r["orders"]) for r in report["rows"]] == [
        ("FR", "1234567.89", 1),
        ("UK", "0.30", 2),
    ]
    assert report["total"]["net_revenue"] == "1234568.19"
    assert report["data_version"] == 1


def test_pnl_report_csv_by_month_reconciles_with_the_sales_report(session: Session, glance_env: Settings) -> None:
    _seed(session)

    span = ("--from", "2025-01-01", "--to", "2025-02-28")
    pnl = run_glance("report", "pnl", "--by", "month", *span, "--format", "csv", env=_env(glance_env))
    sales = run_glance("report", "sales", "--by", "channel", *span, "--format", "json", env=_env(glance_env))
    partial = run_glance("report", "pnl", "--by", "month", "--format", "json", env=_env(glance_env))

    assert pnl.returncode == 0, pnl.stderr
    rows = list(csv.DictReader(io.StringIO(pnl.stdout)))
    assert [r["key"] for r in rows] == ["2025-01-01", "2025-02-01", "total"]
    assert rows[1]["opex"] == "2800.00"
    assert Decimal(rows[-1]["net_revenue"]) == Decimal(json.loads(sales.stdout)["total"]["net_revenue"])
    assert Decimal(rows[-1]["operating_profit"]) == Decimal("1234568.19") - Decimal("1000.10") - Decimal("2800.00")
    # Without dates the report covers the data's span, 2 January to 3 February: 3 of February's 28 days.
    assert json.loads(partial.stdout)["total"]["opex"] == "300.00"


def test_a_report_on_an_empty_database_says_what_to_do(session: Session, glance_env: Settings) -> None:
    result = run_glance("report", "sales", "--by", "territory", env=_env(glance_env))

    assert result.returncode == 1
    assert "no sales data yet" in result.stderr
    assert "glance import sales" in result.stderr


def test_kpi_report_prints_the_health_headline(session: Session, glance_env: Settings) -> None:
    _seed(session)

    result = run_glance(
        "report",
        "kpis",
        "--period",
        "custom",
        "--from",
        "2025-02-01",
        "--to",
        "2025-02-28",
        "--format",
        "json",
        env=_env(glance_env),
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "no_target"
    assert report["headline"].startswith("No target")
    revenue = next(r for r in report["rows"] if r["key"] == "net_revenue")
    assert revenue["value"] == "1234568.09" and revenue["prior"] == "0.10"
