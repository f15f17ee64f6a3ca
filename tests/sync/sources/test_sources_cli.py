"""`glance sources list|pull` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from services.cli.main import app
from services.runtime.settings import Settings, get_settings
from tests.sync.sources.conftest import FAST_RETRY, FakeShop

runner = CliRunner()


@pytest.fixture
def sources_file(glance_env: Settings, shop: FakeShop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sources.yaml"
    common = {"kind": "http", "target": "sales", "format": "csv", "retry": FAST_RETRY}
    path.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {**common, "name": "shop", "url": f"{shop.url}/csv/pages", "schedule": "0 2 * * *"},
                    {**common, "name": "broken", "url": f"{shop.url}/missing"},
                ]
            }
        )
    )
    monkeypatch.setenv("GLANCE_SOURCES_FILE", str(path))
    get_settings.cache_clear()
    return path


def test_pull_imports_now_and_list_shows_the_outcome(sources_file: Path) -> None:
    pulled = runner.invoke(app, ["sources", "pull", "shop"])
    failed = runner.invoke(app, ["sources", "pull", "broken"])
    listed = runner.invoke(app, ["sources", "list", "--format", "json"])

    assert pulled.exit_code == 0, pulled.output
    assert "7 inserted" in pulled.output
    assert failed.exit_code == 1
    assert "404" in failed.output
    rows = {row["name"]: row for row in json.loads(listed.output)}
    assert rows["shop"]["schedule"] == "0 2 * * *" and rows["shop"]["failures_in_a_row"] == 0
    assert rows["shop"]["last_success"] is not None
    assert rows["broken"]["failures_in_a_row"] == 1 and "404" in rows["broken"]["last_error"]


def test_pulling_an_unknown_source_names_the_declared_ones(sources_file: Path) -> None:
    result = runner.invoke(app, ["sources", "pull", "nope"])

    assert result.exit_code == 1
    assert "declared: shop, broken" in result.output


def test_without_a_sources_file_the_fix_is_named(glance_env: Settings) -> None:
    result = runner.invoke(app, ["sources", "list"])

    assert result.exit_code == 1
    assert "GLANCE_SOURCES_FILE" in result.output
