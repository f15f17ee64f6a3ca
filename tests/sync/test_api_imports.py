"""The sync service's import API: tokens and roles, upload limit, same report as the CLI, safe rejected CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from services.auth import create_token, revoke_token
from services.cli.main import app as cli
from services.runtime.database import session_scope
from services.runtime.settings import Settings
from services.sync.app import create_app
from tests.sync.conftest import sales_rows, scalar, write_csv

_VOLATILE = {"run_id", "elapsed", "rows_per_second", "data_version", "unchanged", "inserted"}


@pytest.fixture
def client(glance_env: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(glance_env)) as test_client:
        yield test_client


def _token(role: str, name: str | None = None) -> dict[str, str]:
    with session_scope() as session:
        secret = create_token(session, name=name or f"{role}-token", role=role)
    return {"Authorization": f"Bearer {secret}"}


def _upload(client: TestClient, file: Path, headers: dict[str, str], **form: str) -> object:
    with file.open("rb") as handle:
        return client.post(
            "/api/v1/imports/sales", headers=headers, files={"file": (file.name, handle, "text/csv")}, data=form
        )


def test_no_token_or_a_revoked_one_gets_401(client: TestClient, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "s.csv", sales_rows(2))
    assert _upload(client, file, {}).status_code == 401
    assert client.get("/api/v1/imports").status_code == 401
    headers = _token("admin", "old")
    assert client.get("/api/v1/imports", headers=headers).status_code == 200
    with session_scope() as session:
        revoke_token(session, name="old")
    response = _upload(client, file, headers)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert client.get("/api/v1/imports", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_a_viewer_may_read_runs_but_not_import(client: TestClient, tmp_path: Path, backend_engine: Engine) -> None:
    headers = _token("viewer")
    response = _upload(client, write_csv(tmp_path / "s.csv", sales_rows(2)), headers)
    assert response.status_code == 403 and "analyst" in response.json()["detail"]
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line") == 0
    assert client.get("/api/v1/imports", headers=headers).status_code == 200


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200


def test_an_upload_over_the_limit_gets_413_and_stores_nothing(
    glance_env: Settings, tmp_path: Path, backend_engine: Engine
) -> None:
    small_limit = glance_env.model_copy(update={"max_upload_mb": 1})
    big = write_csv(tmp_path / "big.csv", sales_rows(20_000))
    assert big.stat().st_size > 2**20
    with TestClient(create_app(small_limit)) as client:
        headers = _token("analyst")
        response = _upload(client, big, headers)
        assert response.status_code == 413
        assert "limit is 1 MB" in response.json()["detail"] and "GLANCE_MAX_UPLOAD_MB" in response.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
            boundary = b"--xyz\r\n"
            yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            with big.open("rb") as handle:
                while block := handle.read(65536):
                    yield block
            yield b"\r\n--xyz--\r\n"

        streamed = client.post(
            "/api/v1/imports/sales",
            headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
            content=chunks(),
        )
        assert streamed.status_code == 413
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line") == 0
    assert not any((glance_env.data_dir / "uploads").iterdir())


def test_api_and_cli_give_the_same_report_for_the_same_file(client: TestClient, tmp_path: Path) -> None:
    rows = sales_rows(6)
    rows[2]["units"], rows[4]["order_date"] = "lots", "31/02/2025"
    file = write_csv(tmp_path / "shop.csv", rows)
    mapping = {"territory": "territory"}
    response = _upload(client, file, _token("analyst"), mapping=json.dumps(mapping), source="api-shop")
    assert response.status_code == 200
    result = CliRunner().invoke(
        cli, ["import", "sales", str(file), "--source", "cli-shop", "--map", "territory=territory", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    from_api = {k: v for k, v in response.json().items() if k not in _VOLATILE | {"source"}}
    from_cli = {k: v for k, v in json.loads(result.stdout).items() if k not in _VOLATILE | {"source"}}
    assert from_api == from_cli
    assert from_api["rejected"] == 2 and from_api["status"] == "succeeded"


def test_a_stored_run_reads_back_as_its_report(client: TestClient, tmp_path: Path) -> None:
    headers = _token("analyst")
    rows = sales_rows(3)
    rows[0]["units"] = "x"
    posted = _upload(client, write_csv(tmp_path / "s.csv", rows), headers).json()
    fetched = client.get(f"/api/v1/imports/{posted['run_id']}", headers=headers).json()
    assert fetched == posted
    listed = client.get("/api/v1/imports", headers=headers).json()
    assert listed[0]["run_id"] == posted["run_id"]
    assert client.get("/api/v1/imports/999999", headers=headers).status_code == 404


def test_rejected_csv_neutralises_formulas(client: TestClient, tmp_path: Path) -> None:
    headers = _token("analyst")
    rows = sales_rows(4)
    rows[0]["units"] = '=HYPERLINK("http://evil")'
    rows[1]["units"] = "+1+1"
    rows[2]["units"] = "@SUM(A1)"
    rows[3]["net_revenue"], rows[3]["product"] = "-oops", "-Widget"
    run_id = _upload(client, write_csv(tmp_path / "s.csv", rows), headers).json()["run_id"]
    response = client.get(f"/api/v1/imports/{run_id}/rejected.csv", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["row"] for r in table] == ["2", "3", "4", "5"]
    cells = [value for row in table for value in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert '\'=HYPERLINK("http://evil")' in cells and "'-Widget" in cells


def test_a_refused_upload_answers_422_with_the_report(client: TestClient, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    response = _upload(client, empty, _token("analyst"))
    assert response.status_code == 422
    assert response.json()["status"] == "refused" and "is empty" in response.json()["message"]


def test_a_bad_mapping_is_a_400(client: TestClient, tmp_path: Path) -> None:
    response = _upload(client, write_csv(tmp_path / "s.csv", sales_rows(1)), _token("analyst"), mapping="{not json")
    assert response.status_code == 400 and "mapping" in response.json()["detail"]


def test_the_columns_of_a_file_come_back_as_the_import_would_read_them(client: TestClient, tmp_path: Path) -> None:
    # The dashboard's upload form asks this instead of reading files itself.
    jsonl = tmp_path / "late.jsonl"
    jsonl.write_text('{"Date": "2025-01-02", "Units": 1}\n' * 3 + '{"Date": "2025-01-03", "Region code": "X"}\n')
    with jsonl.open("rb") as handle:
        response = client.post(
            "/api/v1/imports/columns", headers=_token("analyst"), files={"file": ("late.jsonl", handle)}
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"format": "jsonl", "columns": ["Date", "Units", "Region code"]}


def test_a_file_whose_columns_cannot_be_read_gets_422_naming_the_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/imports/columns", headers=_token("analyst"), files={"file": ("old.xls", b"\xd0\xcf\x11\xe0rest")}
    )
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "file"]
    assert problem["msg"].startswith("old.xls is an old Excel (.xls) workbook"), "named as the user sent it"


def test_reading_a_files_columns_needs_the_analyst_role(client: TestClient) -> None:
    response = client.post(
        "/api/v1/imports/columns", headers=_token("viewer"), files={"file": ("s.csv", b"a,b\n1,2\n")}
    )
    assert response.status_code == 403
