"""The figures API: the same JSON as `glance report … --format json`, only the caller's territories, ETags."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from db.models import ApiToken
from db.scope import Scope
from services.auth import create_token, create_user, get_user, revoke_token, set_scope
from services.cache.query_cache import get_cache
from services.cli.main import app as cli
from services.runtime.database import session_scope
from services.runtime.settings import Settings
from services.sync.app import create_app
from tests.factories import sale, store_expense_lines, store_sales_lines, store_target_rows
from tests.sync.conftest import sales_rows, write_csv

OTHERS = ("Borealis", "Caledonia", "Wholesale", "Gizmos")
"""Names only territories other than Atlantis have: territories, Caledonia's channel and category."""
SPAN = {"from": "2025-01-01", "to": "2025-02-28"}
EVERY_REPORT = [
    ("sales", {"by": "territory"}),
    ("pnl", {"by": "territory"}),
    ("kpis", SPAN),
    ("budget", SPAN),
    ("dimensions", {}),
]
OPEN_RANGES = [
    ("sales", {"by": "territory"}),
    ("pnl", {"by": "month"}),
    ("kpis", {}),
    ("budget", {}),
    ("dimensions", {}),
]
"""Every report with no days asked for: the range comes from the data the caller may see."""


@pytest.fixture
def client(glance_env: Settings) -> Iterator[TestClient]:
    get_cache.cache_clear()  # the in-process cache is keyed by data version, not by database
    with TestClient(create_app(glance_env)) as test_client:
        yield test_client
    get_cache.cache_clear()


@pytest.fixture
def business(session: Session) -> None:
    """Three territories with sales in January and February 2025, expenses, targets and a budget."""
    store_sales_lines(
        session,
        [
            sale(territory="Atlantis", order_date=date(2025, 1, 10), net_revenue="100.00", cogs="40.00"),
            sale(
                territory="Atlantis",
                channel="Retail",
                category="Widgets",
                order_date=date(2025, 2, 10),
                net_revenue="50.05",
                cogs="20.00",
            ),
            sale(territory="Borealis", order_date=date(2025, 1, 12), net_revenue="200.00", cogs="90.00"),
            sale(territory="Borealis", category="Widgets", order_date=date(2025, 2, 12), net_revenue="30.10"),
            sale(
                territory="Caledonia",
                channel="Wholesale",
                category="Gizmos",
                order_date=date(2025, 2, 14),
                net_revenue="999.00",
                cogs="100.00",
            ),
        ],
    )
    store_expense_lines(
        session,
        [
            (date(2025, 1, 1), "Atlantis", "Rent", "60.00"),
            (date(2025, 2, 1), "Borealis", "Rent", "28.00"),
            (date(2025, 2, 1), "Caledonia", "Rent", "500.00"),
        ],
    )
    store_target_rows(
        session,
        [
            (date(2025, 1, 1), "Atlantis", "net_revenue", "90"),
            (date(2025, 2, 1), "Atlantis", "net_revenue", "60"),
            (date(2025, 1, 1), "Borealis", "net_revenue", "150"),
            (date(2025, 2, 1), "Caledonia", "net_revenue", "800"),
            (date(2025, 2, 1), "Borealis", "opex:Rent", "30"),
        ],
    )


def _bearer(scope: Scope, *, role: str = "viewer", name: str = "") -> dict[str, str]:
    """The Authorization header of a new token of `role` that may see `scope`."""
    name = name or f"token-{uuid.uuid4().hex[:8]}"
    with session_scope() as db:
        secret = create_token(db, name=name, role=role)
        set_scope(db, scope, token=db.execute(select(ApiToken).where(col(ApiToken.name) == name)).scalar_one())
    return {"Authorization": f"Bearer {secret}"}


def _user(name: str, scope: Scope) -> str:
    with session_scope() as db:
        set_scope(db, scope, user=create_user(db, username=name, role="viewer", password="a-long-password-1"))
    return name


def _get(client: TestClient, report: str, headers: dict[str, str], **params: str) -> Any:
    response = client.get(f"/api/v1/reports/{report}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _cli_json(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["report", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


SAME_AS_CLI = [
    ("sales", {"by": "territory"}, ["sales", "--by", "territory"]),
    (
        "sales",
        {"by": "channel", **SPAN, "category": "Gadgets"},
        ["sales", "--by", "channel", "--from", SPAN["from"], "--to", SPAN["to"], "--category", "Gadgets"],
    ),
    ("sales", {"by": "month", "channel": "Online"}, ["sales", "--by", "month", "--channel", "Online"]),
    ("pnl", {"by": "month"}, ["pnl", "--by", "month"]),
    ("pnl", {"by": "territory", **SPAN}, ["pnl", "--by", "territory", "--from", SPAN["from"], "--to", SPAN["to"]]),
    ("kpis", SPAN, ["kpis", "--from", SPAN["from"], "--to", SPAN["to"]]),
    (
        "kpis",
        {"period": "ytd", "today": "2025-02-20", "territory": "Atlantis"},
        ["kpis", "--period", "ytd", "--today", "2025-02-20", "--territory", "Atlantis"],
    ),
    ("budget", SPAN, ["budget", "--from", SPAN["from"], "--to", SPAN["to"]]),
    ("dimensions", {}, ["dimensions"]),
]


@pytest.mark.parametrize("viewer", ["operator", "ann"])
@pytest.mark.parametrize(("report", "params", "args"), SAME_AS_CLI, ids=lambda v: v if isinstance(v, str) else None)
def test_every_report_answers_what_glance_report_prints_as_json(
    client: TestClient, business: None, viewer: str, report: str, params: dict[str, str], args: list[str]
) -> None:
    headers = _bearer(Scope.everything())
    if viewer == "ann":
        headers["X-Glance-User"] = _user("ann", Scope.only(["Atlantis", "Borealis"]))
        args = [*args, "--as", "ann"]

    body = _get(client, report, headers, **params)

    assert body == _cli_json(*args)
    assert body["report"] == report and body["currency"] == "GBP" and body["data_version"] == 1
    assert set(body["release"]) == {"version", "digest"}


@pytest.mark.parametrize(("report", "params"), [*EVERY_REPORT, *OPEN_RANGES])
def test_a_token_for_one_territory_never_sees_another(
    client: TestClient, business: None, report: str, params: dict[str, str]
) -> None:
    response = client.get(f"/api/v1/reports/{report}", params=params, headers=_bearer(Scope.only(["Atlantis"])))

    assert response.status_code == 200, response.text
    assert not [name for name in OTHERS if name in response.text]


def test_a_token_for_one_territory_gets_that_territorys_figures(client: TestClient, business: None) -> None:
    atlantis = _bearer(Scope.only(["Atlantis"]))

    sales = _get(client, "sales", atlantis, by="territory")
    pnl = _get(client, "pnl", atlantis, by="territory", **SPAN)
    kpis = _get(client, "kpis", atlantis, **SPAN)
    dimensions = _get(client, "dimensions", atlantis)

    assert [(row["key"], row["net_revenue"]) for row in sales["rows"]] == [("Atlantis", "150.05")]
    assert (sales["from"], sales["to"]) == ("2025-01-10", "2025-02-10"), "the span of the days Atlantis has sales"
    assert [(row["key"], row["opex"]) for row in pnl["rows"]] == [("Atlantis", "60.00")]
    revenue = next(row for row in kpis["rows"] if row["key"] == "net_revenue")
    assert (revenue["value"], revenue["target"]) == ("150.05", "150.00")
    assert dimensions["territories"] == ["Atlantis"]
    assert (dimensions["channels"], dimensions["categories"]) == (["Online", "Retail"], ["Gadgets", "Widgets"])
    assert (dimensions["first_day"], dimensions["last_day"]) == ("2025-01-10", "2025-02-10")


def test_whole_business_totals_are_the_sum_of_the_territories_the_token_may_see(
    client: TestClient, business: None
) -> None:
    two = _bearer(Scope.only(["Atlantis", "Borealis"]))

    sales = _get(client, "sales", two, by="territory", **SPAN)
    pnl = _get(client, "pnl", two, by="month", **SPAN)
    kpis = _get(client, "kpis", two, **SPAN)
    each = [_get(client, "kpis", two, **SPAN, territory=name) for name in ("Atlantis", "Borealis")]

    assert sales["total"]["net_revenue"] == "380.15" == str(sum(Decimal(r["net_revenue"]) for r in sales["rows"]))
    assert pnl["total"]["opex"] == "88.00" == str(sum(Decimal(r["opex"]) for r in pnl["rows"]))

    def revenue(report: Any) -> Decimal:
        return Decimal(next(row["value"] for row in report["rows"] if row["key"] == "net_revenue"))

    assert revenue(kpis) == revenue(each[0]) + revenue(each[1]) == Decimal("380.15")


@pytest.mark.parametrize(("report", "params"), OPEN_RANGES)
def test_a_token_with_no_territories_sees_empty_figures(
    client: TestClient, business: None, report: str, params: dict[str, str]
) -> None:
    body = _get(client, report, _bearer(Scope.only([])), **params)

    assert not [name for name in ("Atlantis", *OTHERS) if name in json.dumps(body)]
    if report == "dimensions":
        assert (body["territories"], body["first_day"]) == ([], None)
    elif report == "kpis":
        assert {row["value"] for row in body["rows"]} == {None} and body["status"] == "no_data"
    else:
        assert (body["from"], body["to"], body["rows"]) == (None, None, [])
        assert all(value in ("total", "0.00", 0) for value in body["total"].values())


def test_a_token_with_no_territories_gets_zero_figures_for_a_range(client: TestClient, business: None) -> None:
    nothing = _bearer(Scope.only([]))

    sales = _get(client, "sales", nothing, by="channel", **SPAN)
    budget = _get(client, "budget", nothing, **SPAN)

    assert (sales["rows"], sales["total"]["net_revenue"], sales["total"]["orders"]) == ([], "0.00", 0)
    assert {(row["actual"], row["budget"]) for row in budget["rows"]} == {("0.00", None)}


@pytest.mark.parametrize(("report", "params"), EVERY_REPORT[:4])
def test_a_territory_outside_the_tokens_scope_is_403_naming_it(
    client: TestClient, business: None, report: str, params: dict[str, str]
) -> None:
    atlantis = _bearer(Scope.only(["Atlantis"]))

    response = client.get(f"/api/v1/reports/{report}", params={**params, "territory": "Caledonia"}, headers=atlantis)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("territory 'Caledonia' is outside your access")


def test_an_unchanged_report_answers_304_until_an_import_changes_it(
    client: TestClient, business: None, tmp_path: Path
) -> None:
    headers = _bearer(Scope.only(["Atlantis"]))
    first = client.get("/api/v1/reports/kpis", params=SPAN, headers=headers)
    tag = first.headers["etag"]

    again = client.get("/api/v1/reports/kpis", params=SPAN, headers={**headers, "If-None-Match": tag})
    analyst = _bearer(Scope.everything(), role="analyst")
    with write_csv(tmp_path / "more.csv", sales_rows(3, territory="Atlantis", day=date(2025, 2, 3))).open("rb") as f:
        imported = client.post("/api/v1/imports/sales", files={"file": ("more.csv", f, "text/csv")}, headers=analyst)
    after = client.get("/api/v1/reports/kpis", params=SPAN, headers={**headers, "If-None-Match": tag})

    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    assert imported.status_code == 200, imported.text
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert after.json()["data_version"] == first.json()["data_version"] + 1


def test_the_etag_differs_by_scope_and_by_parameters(client: TestClient, business: None) -> None:
    def tag(headers: dict[str, str], **params: str) -> str:
        return client.get("/api/v1/reports/sales", params=params, headers=headers).headers["etag"]

    atlantis, borealis = _bearer(Scope.only(["Atlantis"])), _bearer(Scope.only(["Borealis"]))

    assert tag(atlantis, by="territory") == tag(_bearer(Scope.only(["Atlantis"])), by="territory")
    assert tag(atlantis, by="territory") != tag(borealis, by="territory")
    assert tag(atlantis, by="territory") != tag(atlantis, by="channel")


def test_x_glance_user_narrows_the_tokens_scope_and_never_widens_it(client: TestClient, business: None) -> None:
    ann = _user("ann", Scope.only(["Atlantis", "Caledonia"]))

    wide_token = _get(client, "dimensions", {**_bearer(Scope.everything()), "X-Glance-User": ann})
    narrow_token = _get(client, "dimensions", {**_bearer(Scope.only(["Atlantis"])), "X-Glance-User": ann})

    assert wide_token["territories"] == ["Atlantis", "Caledonia"]
    assert narrow_token["territories"] == ["Atlantis"]


def test_calls_without_a_live_token_or_for_an_unknown_person_are_refused(client: TestClient, business: None) -> None:
    headers = _bearer(Scope.everything(), name="old")
    with session_scope() as db:
        revoke_token(db, name="old")
        assert get_user(db, username="nobody") is None

    assert client.get("/api/v1/reports/dimensions").status_code == 401
    assert client.get("/api/v1/reports/dimensions", headers=headers).status_code == 401
    acting = {**_bearer(Scope.everything()), "X-Glance-User": "nobody"}
    unknown = client.get("/api/v1/reports/dimensions", headers=acting)
    assert unknown.status_code == 403 and "not an active user" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("report", "params", "named", "hint"),
    [
        ("sales", {"by": "week"}, "by", "'territory'"),
        ("sales", {}, "by", "add it"),
        ("sales", {"by": "territory", "from": "2025-13-01"}, "from", "YYYY-MM-DD"),
        ("pnl", {"by": "month", "from": "2025-02-01", "to": "2025-01-01"}, "to", "on or after"),
        ("kpis", {"period": "ytd", "from": "2025-01-01"}, "period", "leave out from and to"),
        ("kpis", {"from": "2025-01-01"}, "to", "give both"),
        ("budget", {"territory": "A\tB"}, "territory", "as the data names it"),
    ],
)
def test_a_bad_parameter_gets_422_naming_it_and_the_fix(
    client: TestClient, report: str, params: dict[str, str], named: str, hint: str
) -> None:
    response = client.get(f"/api/v1/reports/{report}", params=params, headers=_bearer(Scope.everything()))

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == named and error["msg"].startswith(f"{named}: ") and hint in error["msg"]


def test_the_api_description_shows_an_example_answer_for_every_report(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for report in ("sales", "pnl", "kpis", "budget", "dimensions"):
        answer = paths[f"/api/v1/reports/{report}"]["get"]["responses"]
        example = answer["200"]["content"]["application/json"]["example"]
        assert example["report"] == report and "data_version" in example and "ETag" in answer["200"]["headers"]
        assert {"304", "403"} <= set(answer)


HIDDEN = (*OTHERS, "999.00", "500.00", "200.00", "Hidden-Valley", "7654.32")
"""What only other territories hold: their names, channel and category, and figures no Atlantis total reaches."""
WALK: dict[str, list[dict[str, str]]] = {
    "/api/v1/reports/sales": [{"by": by} for by in ("territory", "channel", "category", "product", "month", "year")],
    "/api/v1/reports/pnl": [{"by": "territory"}, {"by": "month", **SPAN}],
    "/api/v1/reports/kpis": [{}, {"period": "ytd", "today": "2025-02-20"}, {"period": "custom", **SPAN}],
    "/api/v1/reports/budget": [{}, SPAN],
    "/api/v1/reports/dimensions": [{}],
    "/api/v1/imports": [{}],
    "/api/v1/imports/{run_id}": [{}],
    "/api/v1/imports/{run_id}/rejected.csv": [{}],
}
"""Every GET route of the API under /api, with the parameters the walk asks each one for."""


@pytest.mark.parametrize("allowed", [["Atlantis"], []], ids=["Atlantis", "no territories"])
def test_a_walk_over_every_api_route_never_shows_another_territory(
    client: TestClient, business: None, tmp_path: Path, allowed: list[str]
) -> None:
    # An import by a token of every territory: Hidden-Valley rows, one of them rejected.
    rows = sales_rows(3, territory="Hidden-Valley")
    rows[0]["net_revenue"] = "7654.32"
    rows[2]["units"] = "many"
    with write_csv(tmp_path / "Hidden-Valley.csv", rows).open("rb") as handle:
        imported = client.post(
            "/api/v1/imports/sales", headers=_bearer(Scope.everything(), role="analyst"), files={"file": handle}
        )
    assert imported.status_code == 200, imported.text
    run_id = str(imported.json()["run_id"])
    scoped = _bearer(Scope.only(allowed))
    hidden = HIDDEN if allowed else (*HIDDEN, "Atlantis", "150.05", "100.00")
    described = client.get("/openapi.json").json()["paths"]
    routes = {path for path, operations in described.items() if "get" in operations and path.startswith("/api/")}
    assert routes == set(WALK), "a new GET route: add it to WALK so this walk checks what it shows"

    answered = 0
    for path, variants in WALK.items():
        for params in variants:
            response = client.get(path.replace("{run_id}", run_id), params=params, headers=scoped)
            assert response.status_code in (200, 404), f"{path} {params}: {response.status_code} {response.text}"
            leaked = [name for name in hidden if name in response.text]
            assert not leaked, f"{path} {params} shows {leaked} to a token for {allowed or 'no territory'}"
            answered += response.status_code == 200
    assert answered == sum(map(len, WALK.values())) - 2, "only the run of another territory is 404"
    assert client.get(f"/api/v1/imports/{run_id}", headers=_bearer(Scope.everything())).status_code == 200
