"""Imports under a territory scope: a scoped caller stores only its territories' rows and sees only its runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from db.models import ApiToken, OperatingExpense, SalesDaily, SalesLine
from db.scope import Scope
from services.auth import create_token, create_user, set_scope
from services.contracts.report import ImportKind
from services.imports.runs import start_run
from services.runtime.database import session_scope
from services.runtime.settings import Settings
from services.sync.api.deps import ACTING_USER_HEADER
from services.sync.app import create_app
from tests.sync.conftest import Importer, sales_rows, scalar, snapshot, write_csv

UK_ONLY = "territory 'DE' is outside your access (your access covers UK: import only those rows, or ask an admin"
WHOLE_BUSINESS = "territory '*' is outside your access (a whole-business target needs access to every territory"


@pytest.fixture
def client(glance_env: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(glance_env)) as test_client:
        yield test_client


def _token(name: str, role: str, territories: str = "*") -> dict[str, str]:
    """A bearer header for a new token of `role` that may see `territories` (`Scope.parse` text)."""
    with session_scope() as session:
        secret = create_token(session, name=name, role=role)
        token = session.execute(select(ApiToken).where(ApiToken.name == name)).scalar_one()
        set_scope(session, Scope.parse(territories), token=token)
    return {"Authorization": f"Bearer {secret}"}


def _upload(client: TestClient, file: Path, headers: dict[str, str], kind: str = "sales", **form: str) -> Response:
    with file.open("rb") as handle:
        return client.post(
            f"/api/v1/imports/{kind}", headers=headers, files={"file": (file.name, handle, "text/csv")}, data=form
        )


def _mixed(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    """Four UK lines and three DE lines in one file, and the UK lines."""
    uk = sales_rows(4, territory="UK")
    return write_csv(tmp_path / "mixed.csv", uk + sales_rows(3, start=10, territory="DE")), uk


def _total(engine: Engine, column: Any) -> Decimal:
    """A money column's sum, read through its type (SQLite stores pennies)."""
    with Session(engine) as session:
        total: Decimal = session.execute(select(func.sum(column))).scalar_one()
    return total


def _csv_rows(response: Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


def test_a_uk_analyst_stores_the_uk_rows_of_a_mixed_file_and_each_de_row_is_rejected(
    client: TestClient, tmp_path: Path, backend_engine: Engine
) -> None:
    file, uk = _mixed(tmp_path)

    response = _upload(client, file, _token("uk-analyst", "analyst", "UK"))

    report = response.json()
    assert response.status_code == 200 and (report["inserted"], report["rejected"]) == (4, 3)
    assert [(r["row"], r["field"], r["value"]) for r in report["rejections"]] == [
        (6, "territory", "DE"),
        (7, "territory", "DE"),
        (8, "territory", "DE"),
    ]
    assert all(r["reason"].startswith(UK_ONLY) for r in report["rejections"])
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line WHERE territory = 'DE'") == 0
    uk_revenue = sum(Decimal(row["net_revenue"]) for row in uk)
    assert _total(backend_engine, SalesLine.net_revenue_rc) == uk_revenue
    assert _total(backend_engine, SalesDaily.net_revenue) == uk_revenue
    assert scalar(backend_engine, "SELECT count(DISTINCT territory) FROM sales_daily") == 1


def test_a_de_row_with_another_fault_is_still_rejected_for_its_territory(tmp_path: Path, do_import: Importer) -> None:
    rows = sales_rows(1, territory="UK") + sales_rows(1, start=5, territory="DE")
    rows[1]["units"] = "lots"

    report = do_import("sales", write_csv(tmp_path / "s.csv", rows), scope=Scope.only(["UK"]))

    assert {(r.row, r.field) for r in report.rejections} == {(3, "units"), (3, "territory")}
    assert (report.inserted, report.rejected) == (1, 1)


def test_strict_refuses_a_file_with_a_row_outside_the_scope_and_stores_nothing(
    client: TestClient, tmp_path: Path, backend_engine: Engine
) -> None:
    file, _ = _mixed(tmp_path)
    before = snapshot(backend_engine)

    response = _upload(client, file, _token("uk-analyst", "analyst", "UK"), strict="true")

    assert response.status_code == 422
    report = response.json()
    assert report["status"] == "refused" and report["rejected"] == 3
    assert "3 of them outside your access" in report["message"] and UK_ONLY in report["message"]
    assert snapshot(backend_engine) == before


def test_an_admin_imports_every_territory(client: TestClient, tmp_path: Path, backend_engine: Engine) -> None:
    file, _ = _mixed(tmp_path)

    report = _upload(client, file, _token("admin", "admin")).json()

    assert (report["inserted"], report["rejected"]) == (7, 0)
    assert scalar(backend_engine, "SELECT count(DISTINCT territory) FROM sales_line") == 2


def test_expenses_of_another_territory_are_rejected_row_by_row(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = [
        {"month": "2025-03", "territory": "UK", "category": "Rent", "amount": "100"},
        {"month": "2025-03", "territory": "DE", "category": "Rent", "amount": "200"},
    ]

    report = do_import("expenses", write_csv(tmp_path / "opex.csv", rows), scope=Scope.only(["UK"]))

    assert (report.inserted, report.rejected) == (1, 1)
    assert report.rejections[0].reason.startswith(UK_ONLY)
    assert _total(backend_engine, OperatingExpense.amount_rc) == Decimal("100")


def test_a_whole_business_target_needs_every_territory(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = [
        {"month": "2025-03", "territory": "UK", "metric": "net_revenue", "value": "100"},
        {"month": "2025-03", "territory": "*", "metric": "net_revenue", "value": "900"},
        {"month": "2025-03", "territory": "", "metric": "units", "value": "9"},  # blank: the whole business
    ]
    file = write_csv(tmp_path / "targets.csv", rows)

    scoped = do_import("targets", file, scope=Scope.only(["UK"]))

    assert (scoped.inserted, scoped.rejected) == (1, 2)
    assert [(r.row, r.value) for r in scoped.rejections] == [(3, "*"), (4, "*")]
    assert all(r.reason.startswith(WHOLE_BUSINESS) for r in scoped.rejections)
    assert scalar(backend_engine, "SELECT count(*) FROM kpi_target WHERE territory = '*'") == 0
    assert do_import("targets", file, scope=Scope.everything()).inserted == 2


@pytest.mark.parametrize(
    ("kind", "rows", "table"),
    [
        ("fx-rates", [{"month": "2025-03", "currency": "EUR", "rate": "0.5"}], "fx_rate"),
        ("users", [{"username": "zed", "role": "admin"}], "app_user"),
    ],
)
def test_files_that_apply_to_every_territory_are_refused_to_a_scoped_caller(
    kind: str, rows: list[dict[str, str]], table: str, tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    report = do_import(kind, write_csv(tmp_path / "f.csv", rows), scope=Scope.only(["UK"]))

    assert report.status == "refused" and "needs access to every territory" in report.message
    assert scalar(backend_engine, f"SELECT count(*) FROM {table}") == 0


@pytest.fixture
def history(client: TestClient, tmp_path: Path) -> dict[str, Any]:
    """An admin's DE import and UK import, and a UK analyst's mixed import: their run ids and tokens."""
    admin = _token("admin", "admin")
    de = _upload(client, write_csv(tmp_path / "de.csv", sales_rows(2, start=50, territory="DE")), admin).json()
    uk = _upload(client, write_csv(tmp_path / "uk.csv", sales_rows(2, start=60, territory="UK")), admin).json()
    analyst = _token("uk-analyst", "analyst", "UK")
    mixed = _upload(client, _mixed(tmp_path)[0], analyst).json()
    return {"admin": admin, "analyst": analyst, "de": de["run_id"], "uk": uk["run_id"], "mixed": mixed["run_id"]}


def _listed(client: TestClient, headers: dict[str, str]) -> list[int]:
    response = client.get("/api/v1/imports", headers=headers)
    assert response.status_code == 200
    return [run["run_id"] for run in response.json()]


def test_history_lists_only_the_runs_inside_a_scoped_callers_territories(
    client: TestClient, history: dict[str, Any]
) -> None:
    uk_viewer, de_viewer = _token("uk-viewer", "viewer", "UK"), _token("de-viewer", "viewer", "DE")

    assert _listed(client, history["admin"]) == [history["mixed"], history["uk"], history["de"]]
    assert _listed(client, uk_viewer) == [history["mixed"], history["uk"]]
    assert _listed(client, de_viewer) == [history["de"]]
    assert _listed(client, _token("nobody", "viewer", "FR")) == []


def test_a_run_outside_the_scope_is_not_found_as_if_it_did_not_exist(
    client: TestClient, history: dict[str, Any]
) -> None:
    uk_viewer = _token("uk-viewer", "viewer", "UK")
    missing = client.get("/api/v1/imports/999999", headers=uk_viewer)

    for path in (f"/api/v1/imports/{history['de']}", f"/api/v1/imports/{history['de']}/rejected.csv"):
        outside = client.get(path, headers=uk_viewer)
        assert outside.status_code == 404
        assert outside.json()["detail"] == missing.json()["detail"].replace("999999", str(history["de"]))
    assert client.get(f"/api/v1/imports/{history['uk']}", headers=uk_viewer).status_code == 200
    assert client.get(f"/api/v1/imports/{history['de']}", headers=history["admin"]).status_code == 200


def test_rejected_rows_of_another_territory_are_left_out_for_a_scoped_caller(
    client: TestClient, tmp_path: Path
) -> None:
    rows = (
        sales_rows(2, territory="UK") + sales_rows(1, start=7, territory="UK") + sales_rows(1, start=9, territory="DE")
    )
    rows[2]["units"] = rows[3]["units"] = "lots"  # one bad UK row, one bad DE row: only UK lines are stored
    admin = _token("admin", "admin")
    run_id = _upload(client, write_csv(tmp_path / "s.csv", rows), admin).json()["run_id"]
    uk_viewer = _token("uk-viewer", "viewer", "UK")

    scoped_csv = client.get(f"/api/v1/imports/{run_id}/rejected.csv", headers=uk_viewer)
    scoped_report = client.get(f"/api/v1/imports/{run_id}", headers=uk_viewer).json()
    full_csv = client.get(f"/api/v1/imports/{run_id}/rejected.csv", headers=admin)

    assert scoped_csv.status_code == 200 and [r["row"] for r in _csv_rows(scoped_csv)] == ["4"]
    assert [r["row"] for r in scoped_report["rejections"]] == [4]
    assert [r["row"] for r in _csv_rows(full_csv)] == ["4", "5"]


def test_a_scoped_caller_sees_every_rejected_row_of_a_run_it_requested(
    client: TestClient, history: dict[str, Any]
) -> None:
    own = client.get(f"/api/v1/imports/{history['mixed']}/rejected.csv", headers=history["analyst"])
    other = client.get(f"/api/v1/imports/{history['mixed']}/rejected.csv", headers=_token("uk-viewer", "viewer", "UK"))

    assert [r["territory"] for r in _csv_rows(own)] == ["DE", "DE", "DE"]
    assert other.status_code == 200 and _csv_rows(other) == []


def test_a_caller_keeps_seeing_its_own_run_after_its_scope_narrows(client: TestClient, tmp_path: Path) -> None:
    analyst = _token("de-analyst", "analyst", "UK,DE")
    run_id = _upload(client, write_csv(tmp_path / "de.csv", sales_rows(2, territory="DE")), analyst).json()["run_id"]
    with session_scope() as session:
        token = session.execute(select(ApiToken).where(ApiToken.name == "de-analyst")).scalar_one()
        set_scope(session, Scope.only(["UK"]), token=token)

    assert client.get(f"/api/v1/imports/{run_id}", headers=analyst).status_code == 200
    assert client.get(f"/api/v1/imports/{run_id}", headers=_token("uk-viewer", "viewer", "UK")).status_code == 404


def test_the_acting_users_territories_decide_what_the_dashboards_token_shows(
    client: TestClient, history: dict[str, Any]
) -> None:
    dashboard = _token("dashboard", "admin")
    with session_scope() as session:
        user = create_user(session, username="ann", role="viewer", password="pw-ann-long")
        set_scope(session, Scope.only(["DE"]), user=user)

    assert _listed(client, {**dashboard, ACTING_USER_HEADER: "ann"}) == [history["de"]]


def test_a_run_whose_territories_are_unknown_shows_only_to_every_territory_and_its_requester(
    client: TestClient, backend_engine: Engine
) -> None:
    with Session(backend_engine) as session:
        run_id = start_run(
            session, kind=ImportKind.sales, source="old", filename="old.csv", file_sha256="", requested_by="cli:ops"
        ).id
        session.commit()
    uk_viewer = _token("uk-viewer", "viewer", "UK")

    assert client.get(f"/api/v1/imports/{run_id}", headers=uk_viewer).status_code == 404
    assert client.get(f"/api/v1/imports/{run_id}", headers=_token("admin", "admin")).status_code == 200
