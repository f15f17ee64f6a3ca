"""Importing users with the territories each may see: a `territories` column, checked row by row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from db.scope import Scope
from services.auth import create_user, get_user, scope_of, set_scope
from services.cli.main import app as cli
from services.runtime.settings import Settings
from tests.sync.conftest import Importer, scalar, write_csv

FIX = "(write * for every territory or a list like UK,IE)"


def _scopes(engine: Engine, *names: str) -> dict[str, Scope]:
    with Session(engine) as session:
        users = {name: get_user(session, username=name) for name in names}
        return {name: scope_of(session, user=user) for name, user in users.items() if user is not None}


def test_each_user_gets_the_territories_of_their_row(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = [
        {"username": "ann", "role": "analyst", "territories": "UK"},
        {"username": "bob", "role": "viewer", "territories": "*"},
        {"username": "cy", "role": "viewer", "territories": " UK, IE "},
    ]

    report = do_import("users", write_csv(tmp_path / "people.csv", rows))

    assert (report.inserted, report.rejected) == (3, 0)
    assert _scopes(backend_engine, "ann", "bob", "cy") == {
        "ann": Scope.only(["UK"]),
        "bob": Scope.everything(),
        "cy": Scope.only(["IE", "UK"]),
    }


def test_an_unreadable_or_blank_territories_cell_rejects_its_row(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = [
        {"username": "ann", "territories": "UK"},
        {"username": "bob", "territories": "UK,,IE"},
        {"username": "cy", "territories": ""},
        {"username": "dee", "territories": "UK,*"},
    ]

    report = do_import("users", write_csv(tmp_path / "people.csv", rows))

    assert [(r.row, r.field, r.value, r.reason) for r in report.rejections] == [
        (3, "territories", "UK,,IE", f"territories 'UK,,IE' is not a list of territories {FIX}"),
        (4, "territories", "", f"territories is blank {FIX}"),
        (5, "territories", "UK,*", f"territories 'UK,*' is not a list of territories {FIX}"),
    ]
    assert scalar(backend_engine, "SELECT count(*) FROM app_user") == 1


def test_without_the_column_new_users_see_everything_and_existing_users_keep_theirs(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    with Session(backend_engine) as session:
        ann = create_user(session, username="ann", role="viewer", password="pw-ann-long")
        set_scope(session, Scope.only(["UK"]), user=ann)
        session.commit()
    rows = [{"username": "ann", "role": "analyst"}, {"username": "bob", "role": "viewer"}]

    report = do_import("users", write_csv(tmp_path / "people.csv", rows))

    assert (report.inserted, report.updated) == (1, 1)
    assert _scopes(backend_engine, "ann", "bob") == {"ann": Scope.only(["UK"]), "bob": Scope.everything()}
    absent = {d.field: d for d in report.defaults_used}["territories"]
    assert "no territories column" in absent.value and absent.rows == 2


def test_a_change_of_territories_alone_updates_the_user(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    file = write_csv(tmp_path / "people.csv", [{"username": "ann", "role": "viewer", "territories": "UK"}])
    do_import("users", file)
    assert do_import("users", file).unchanged == 1

    moved = do_import("users", write_csv(file, [{"username": "ann", "role": "viewer", "territories": "DE,UK"}]))

    assert (moved.updated, moved.unchanged) == (1, 0)
    assert _scopes(backend_engine, "ann") == {"ann": Scope.only(["DE", "UK"])}


def test_a_strict_users_import_with_a_bad_territories_cell_stores_no_user_and_no_scope(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = [{"username": "ann", "territories": "UK"}, {"username": "bob", "territories": ","}]

    report = do_import("users", write_csv(tmp_path / "people.csv", rows), strict=True)

    assert report.status == "refused" and report.rejections[0].row == 3
    assert scalar(backend_engine, "SELECT count(*) FROM app_user") == 0
    assert scalar(backend_engine, "SELECT count(*) FROM scope_grant") == 0


def test_glance_users_import_reads_the_territories_column(
    glance_env: Settings, tmp_path: Path, backend_engine: Engine
) -> None:
    file = tmp_path / "people.csv"
    file.write_text('username,role,territories\nfay,analyst,"UK,IE"\ngus,viewer,*\n')

    result = CliRunner().invoke(cli, ["users", "import", str(file), "--format", "json"])

    assert result.exit_code == 0, result.output
    assert '"inserted": 2' in result.stdout
    assert _scopes(backend_engine, "fay", "gus") == {"fay": Scope.only(["IE", "UK"]), "gus": Scope.everything()}
