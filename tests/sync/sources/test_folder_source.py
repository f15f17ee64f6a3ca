"""A watched folder: each new file imported once, then moved to done/ or failed/."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from services.imports import RunStatus
from services.runtime.settings import Settings
from services.sources import FolderSource, PullStatus, pull_source
from tests.sync.conftest import sales_rows, scalar, write_csv
from tests.sync.sources.conftest import declare


def folder_source(tmp_path: Path, inbox: Path) -> FolderSource:
    source = declare(
        tmp_path, {"name": "inbox", "kind": "folder", "target": "sales", "path": str(inbox), "settle_s": 0}
    ).get("inbox")
    assert isinstance(source, FolderSource)
    return source


def test_new_files_are_imported_once_and_moved_by_outcome(
    backend_engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "march.csv", sales_rows(5))
    (inbox / "broken.csv").write_text("")
    source = folder_source(tmp_path, inbox)

    first = pull_source(backend_engine, source=source, settings=settings)
    second = pull_source(backend_engine, source=source, settings=settings)

    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["march.csv"]
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["broken.csv"]
    assert sorted((r.filename, r.status) for r in first.reports) == [
        ("broken.csv", RunStatus.refused),
        ("march.csv", RunStatus.succeeded),
    ]
    assert first.status is PullStatus.failed and "broken.csv" in first.message
    assert (second.status, second.reports) == (PullStatus.nothing_new, [])
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line WHERE source = 'inbox'") == 5


def test_a_file_with_the_name_of_an_earlier_one_is_kept_beside_it(
    backend_engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = folder_source(tmp_path, inbox)
    write_csv(inbox / "daily.csv", sales_rows(2))
    pull_source(backend_engine, source=source, settings=settings)
    write_csv(inbox / "daily.csv", sales_rows(2, start=10))

    pull_source(backend_engine, source=source, settings=settings)

    assert len(list((inbox / "done").iterdir())) == 2
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line") == 4


def test_a_missing_folder_is_a_failed_pull_naming_it(
    backend_engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    source = folder_source(tmp_path, tmp_path / "nowhere")

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.failed
    assert "nowhere" in result.message and "does not exist" in result.message
