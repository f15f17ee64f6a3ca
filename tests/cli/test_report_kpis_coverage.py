"""`glance report kpis`: each KPI says how much of the period its target covers."""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import Session

from services.runtime.settings import Settings
from tests.cli.conftest import run_glance
from tests.factories import sale, store_sales_lines, store_target_rows

YEAR = ("--period", "custom", "--from", "2025-01-01", "--to", "2025-12-31")


def _env(settings: Settings) -> dict[str, str]:
    return {"GLANCE_DATABASE_URL": settings.database_url, "GLANCE_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}


def _plan_without_june(session: Session) -> None:
    store_sales_lines(
        session,
        [
            sale(territory="UK", order_date=date(2025, n, 10), net_revenue="5000.00" if n == 6 else "850.00")
            for n in range(1, 13)
        ],
    )
    store_target_rows(session, [(date(2025, n, 1), "UK", "net_revenue", "1000") for n in range(1, 13) if n != 6])


def test_kpi_json_carries_each_targets_coverage(session: Session, glance_env: Settings) -> None:
    _plan_without_june(session)

    result = run_glance("report", "kpis", *YEAR, "--territory", "UK", "--format", "json", env=_env(glance_env))

    assert result.returncode == 0, result.stderr
    rows = {row["key"]: row for row in json.loads(result.stdout)["rows"]}
    revenue = rows["net_revenue"]
    assert (revenue["value"], revenue["target"], revenue["status"]) == ("14350.00", "11000.00", "off_track")
    assert revenue["target_coverage"] == {
        "months": {"covered": 11, "total": 12},
        "territories": {"covered": 1, "total": 1},
        "complete": False,
        "covered_value": "9350.00",
        "note": "target covers 11 of 12 months",
        "reason": None,
    }
    assert rows["units"]["target_coverage"] == {
        "months": {"covered": 0, "total": 12},
        "territories": {"covered": 0, "total": 1},
        "complete": False,
        "covered_value": None,
        "note": None,
        "reason": "no Units target for UK",
    }
    assert rows["units"]["status"] == "no_target"


def test_kpi_table_shows_the_coverage_note_or_the_reason(session: Session, glance_env: Settings) -> None:
    _plan_without_june(session)

    result = run_glance("report", "kpis", *YEAR, "--territory", "UK", env=_env(glance_env))

    assert result.returncode == 0, result.stderr
    assert "target covers 11 of 12 months" in result.stdout
    assert "no Units target for UK" in result.stdout
