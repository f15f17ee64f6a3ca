"""Demo data: realistic, reconciling, and listed in import history like any import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from db import queries
from db.engine import make_engine
from db.migrate import upgrade
from db.models import KpiTarget, OperatingExpense
from db.scope import Scope
from services.auth import create_token
from services.embedded.demo import TERRITORIES, DemoPlan, seed_demo
from services.runtime.settings import Settings
from services.sync.app import create_app


def test_demo_covers_every_territory_and_reconciles(session: Session) -> None:
    result = seed_demo(session, plan=DemoPlan(lines=3000, end=date(2026, 3, 15)))
    session.commit()

    found = queries.dimensions(session, scope=Scope.everything())
    by_territory = queries.sales_breakdown(
        session, scope=Scope.everything(), by="territory", start=result.first_day, end=result.last_day
    )
    by_month = queries.sales_breakdown(
        session, scope=Scope.everything(), by="month", start=result.first_day, end=result.last_day
    )

    assert result.lines == 3000
    assert set(found.territories) == {name for name, *_ in TERRITORIES}
    assert (found.first_day, found.last_day) <= (result.first_day, result.last_day)
    assert sum((r.net_revenue for r in by_territory.rows), Decimal(0)) == by_territory.total.net_revenue
    assert sum((r.net_revenue for r in by_month.rows), Decimal(0)) == by_territory.total.net_revenue
    assert len(by_month.rows) == 24


def test_seeded_demo_run_is_listed_in_import_history(session: Session, glance_env: Settings) -> None:
    seed_demo(session, plan=DemoPlan(lines=500))
    token = create_token(session, name="history", role="viewer")
    session.commit()

    with TestClient(create_app()) as client:
        runs = client.get("/api/v1/imports", headers={"Authorization": f"Bearer {token}"})

    assert runs.status_code == 200, runs.text
    assert [(r["kind"], r["source"], r["status"]) for r in runs.json()] == [("sales", "demo", "succeeded")]


def _seeded_expenses_and_targets(path: Path) -> list[tuple[object, ...]]:
    engine = make_engine(Settings(), url=f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        seed_demo(session, plan=DemoPlan(lines=2000, end=date(2026, 3, 15)))
        session.commit()
        expenses = select(
            OperatingExpense.month, OperatingExpense.territory, OperatingExpense.category, OperatingExpense.amount
        )
        goals = select(KpiTarget.month, KpiTarget.territory, KpiTarget.metric, KpiTarget.value)
        stored = [tuple(row) for row in session.execute(expenses.order_by(*expenses.selected_columns)).all()]
        stored += [tuple(row) for row in session.execute(goals.order_by(*goals.selected_columns)).all()]
    engine.dispose()
    return stored


def test_the_same_plan_stores_the_same_expenses_and_targets_every_time(tmp_path: Path) -> None:
    first, second, third = (_seeded_expenses_and_targets(tmp_path / f"demo-{n}.db") for n in range(3))

    assert first == second == third
