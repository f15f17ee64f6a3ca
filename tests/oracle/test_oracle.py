"""Every figure Glance reports equals the oracle's, computed again from the imported files with plain Python.

Given one seeded business imported with `glance import` (sales from two systems, expenses, targets,
FX rates and a later revision of some rates), when `glance report` is asked about fixed edge
periods and seeded random periods and territories, then every figure matches, on both backends.
Each test collects every mismatch before failing, and names the seed that replays them.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from db.queries.pnl import budget_vs_actual
from db.scope import Scope
from services.runtime.database import get_engine
from tests.oracle.cases import Case
from tests.oracle.conftest import Glance, World
from tests.oracle.expected import (
    KPIS,
    change,
    kpi_values,
    pnl_report,
    prior_period,
    sales_report,
    text,
)
from tests.oracle.expected_targets import budget_lines, coverage, headline_start, overall, status

SHOWN = 25
"""Mismatches spelled out in a failure message (all are counted)."""


def _verdict(world: World, glance: Glance, mismatches: list[str], checked: int) -> None:
    head = f"{len(mismatches)} of {checked} comparisons differ on {glance.backend}; replay: {world.replay()}"
    assert not mismatches, "\n".join([head, *mismatches[:SHOWN]])


def _compare(mismatches: list[str], where: str, got: Any, expected: Any) -> None:
    if got != expected:
        mismatches.append(f"{where}\n    expected {expected}\n    got      {got}")


def test_imports_store_every_good_row_and_reject_only_rows_without_a_rate(world: World, glance: Glance) -> None:
    sales_read = {source: sum(1 for r in world.business.sales if r.source == source) for source in ("shop", "erp")}
    expected = {
        "rates": (len(world.business.rates), 0),
        "shop": (sales_read["shop"], world.ledger.rejected.get("shop", 0)),
        "erp": (sales_read["erp"], world.ledger.rejected.get("erp", 0)),
        "expenses": (len(world.business.expenses), world.ledger.rejected.get("expenses", 0)),
        "targets": (len(world.business.targets), 0),
        "revised_rates": (len(world.business.revised_rates), 0),
    }
    got = {name: (report["rows_read"], report["rejected"]) for name, report in glance.imports.items()}

    assert got == expected, world.replay()
    assert {report["status"] for report in glance.imports.values()} == {"succeeded"}
    assert all("FX rate" in r["reason"] for report in glance.imports.values() for r in report["rejections"])


def test_sales_by_every_dimension_match_the_oracle(world: World, glance: Glance) -> None:
    mismatches: list[str] = []
    checked = 0
    for case in world.cases:
        for by in case.sales_by:
            got = glance.report("sales", "--by", by, *case.range_args())
            expected = sales_report(world.ledger, by, case.start, case.end, case.territory)
            _compare(mismatches, f"sales --by {by} {case}", {k: got[k] for k in ("rows", "total")}, expected)
            checked += 1
    _verdict(world, glance, mismatches, checked)


def test_sales_and_pnl_without_dates_cover_the_days_with_sales(world: World, glance: Glance) -> None:
    first = min(line.day for line in world.ledger.lines)
    last = max(line.day for line in world.ledger.lines)
    mismatches: list[str] = []
    for report, by, expect in (("sales", "month", sales_report), ("pnl", "territory", pnl_report)):
        got = glance.report(report, "--by", by)
        _compare(mismatches, f"{report} --by {by}, span", (got["from"], got["to"]), (str(first), str(last)))
        _compare(
            mismatches,
            f"{report} --by {by}, all data",
            got["rows"],
            expect(world.ledger, by, first, last, None)["rows"],
        )
    _verdict(world, glance, mismatches, 4)


def test_pnl_by_territory_and_month_match_the_oracle(world: World, glance: Glance) -> None:
    mismatches: list[str] = []
    checked = 0
    for case in world.cases:
        for by in case.pnl_by:
            got = glance.report("pnl", "--by", by, *case.range_args())
            expected = pnl_report(world.ledger, by, case.start, case.end, case.territory)
            _compare(mismatches, f"pnl --by {by} {case}", {k: got[k] for k in ("rows", "total")}, expected)
            checked += 1
    _verdict(world, glance, mismatches, checked)


def _kpi_rows(glance: Glance, case: Case) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in glance.report("kpis", *case.kpi_args())["rows"]}


def test_kpi_values_and_prior_periods_match_the_oracle(world: World, glance: Glance) -> None:
    mismatches: list[str] = []
    checked = 0
    for case in world.cases:
        report = glance.report("kpis", *case.kpi_args())
        _compare(mismatches, f"kpis period {case}", (report["from"], report["to"]), (str(case.start), str(case.end)))
        values = kpi_values(world.ledger, case.start, case.end, case.territory)
        before = prior_period(case.start, case.end, case.name)
        prior = kpi_values(world.ledger, *before, case.territory)
        rows = _kpi_rows(glance, case)
        for metric in KPIS:
            expected = (text(values[metric]), text(prior[metric]), text(change(values[metric], prior[metric])))
            got = tuple(rows[metric][k] for k in ("value", "prior", "change_pct"))
            where = f"kpis {metric} (value, prior, change) {case}; prior period {before[0]}..{before[1]}"
            _compare(mismatches, where, got, expected)
            checked += 1
    _verdict(world, glance, mismatches, checked)


def test_kpi_targets_and_statuses_match_where_targets_cover_every_cell(world: World, glance: Glance) -> None:
    mismatches: list[str] = []
    checked = 0
    for case in world.cases:
        values = kpi_values(world.ledger, case.start, case.end, case.territory)
        rows = _kpi_rows(glance, case)
        for metric in KPIS:
            compared = coverage(world.ledger, metric, case.start, case.end, case.territory)
            if not compared.complete:
                continue
            expected = (text(compared.target), status(values[metric], compared, metric))
            _compare(
                mismatches,
                f"kpis {metric} (target, status) {case}",
                (rows[metric]["target"], rows[metric]["status"]),
                expected,
            )
            checked += 1
    _verdict(world, glance, mismatches, checked)


def _budget(case: Case) -> list[tuple[str, str, str | None, str | None, str | None, bool | None]]:
    with Session(get_engine()) as session:
        lines = budget_vs_actual(
            session, scope=Scope.everything(), start=case.start, end=case.end, territory=case.territory
        )
    return [
        (line.line, str(line.actual), text(line.budget), text(line.variance), text(line.variance_pct), line.favourable)
        for line in lines
    ]


def test_budget_vs_actual_matches_the_oracle_where_budgets_cover_every_cell(world: World, glance: Glance) -> None:
    # Budget vs actual is not in the CLI: Glance's side is `db.queries.pnl.budget_vs_actual`.
    mismatches: list[str] = []
    checked = 0
    for case in world.cases:
        expected = [line for line in budget_lines(world.ledger, case.start, case.end, case.territory) if line.complete]
        complete = {line.line for line in expected}
        got = [line for line in _budget(case) if line[0] in complete]
        _compare(mismatches, f"budget vs actual {case}", got, [line.as_tuple() for line in expected])
        checked += 1
    _verdict(world, glance, mismatches, checked)


def test_kpi_target_coverage_and_overall_status_match_the_oracle(world: World, glance: Glance) -> None:
    reports = [glance.report("kpis", *case.kpi_args()) for case in world.cases]
    if not all("target_coverage" in row for report in reports for row in report["rows"]):
        pytest.xfail("`glance report kpis --format json` has no `target_coverage` yet (being built in db/queries)")
    mismatches: list[str] = []
    checked = 0
    for case, report in zip(world.cases, reports, strict=True):
        values = kpi_values(world.ledger, case.start, case.end, case.territory)
        rows = {row["key"]: row for row in report["rows"]}
        statuses = {}
        for metric in KPIS:
            compared = coverage(world.ledger, metric, case.start, case.end, case.territory)
            statuses[metric] = status(values[metric], compared, metric)
            got_coverage = rows[metric]["target_coverage"] or {}
            got = (
                rows[metric]["target"],
                rows[metric]["status"],
                {key: got_coverage.get(key) for key in ("months", "territories", "complete", "covered_value")},
            )
            expected = (text(compared.target), statuses[metric], compared.as_json())
            _compare(mismatches, f"kpis {metric} (target, status, coverage) {case}", got, expected)
            checked += 1
        _compare(mismatches, f"kpis overall status {case}", report["status"], overall(statuses))
        start = headline_start(statuses)
        _compare(mismatches, f"kpis headline {case}", report["headline"][: len(start)], start)
        expected_budget = [line.as_tuple() for line in budget_lines(world.ledger, case.start, case.end, case.territory)]
        _compare(mismatches, f"budget vs actual, covered part {case}", _budget(case), expected_budget)
        checked += 3
    _verdict(world, glance, mismatches, checked)
