"""Loading the sources file: clear errors, and never a literal secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.sources import SourceConfigError
from tests.sync.sources.conftest import declare

HTTP = {"name": "shop", "kind": "http", "target": "sales", "url": "https://shop.example/api/orders"}


def refused(tmp_path: Path, *sources: dict[str, Any]) -> str:
    with pytest.raises(SourceConfigError) as caught:
        declare(tmp_path, *sources)
    return str(caught.value)


def test_every_kind_loads_with_its_options(tmp_path: Path) -> None:
    loaded = declare(
        tmp_path,
        {**HTTP, "schedule": "every 15m", "auth": {"type": "basic", "username": "u", "password_env": "SHOP_PW"}},
        {
            "name": "erp",
            "kind": "sql",
            "target": "expenses",
            "url_env": "ERP_URL",
            "query": "SELECT 1",
            "schedule": "0 2 * * *",
        },
        {"name": "drop", "kind": "folder", "target": "targets", "path": "/srv/drop", "freshness": "26h"},
    )

    assert [(s.name, s.kind, s.target.value) for s in loaded.sources] == [
        ("shop", "http", "sales"),
        ("erp", "sql", "expenses"),
        ("drop", "folder", "targets"),
    ]
    assert loaded.get("drop").expected_freshness.total_seconds() == 26 * 3600


@pytest.mark.parametrize(
    ("declared", "field"),
    [
        ({**HTTP, "auth": {"type": "bearer", "token": "abc123"}}, "auth.token"),
        ({**HTTP, "auth": {"type": "basic", "username": "u", "password": "hunter2"}}, "auth.password"),
        (
            {"name": "erp", "kind": "sql", "target": "sales", "url": "postgresql://u:pw@db/erp", "query": "SELECT 1"},
            "url",
        ),
        ({**HTTP, "url": "https://u:pw@shop.example/api"}, "url"),
        ({**HTTP, "headers": {"X-Api-Key": "abc"}}, "headers.X-Api-Key"),
    ],
)
def test_a_literal_secret_is_refused_naming_the_source_and_field(
    tmp_path: Path, declared: dict[str, Any], field: str
) -> None:
    message = refused(tmp_path, declared)

    assert f"source {declared['name']!r}" in message
    assert f"field {field!r} holds a literal secret" in message
    assert "_env: NAME" in message


def test_a_bad_schedule_and_an_unknown_kind_are_named(tmp_path: Path) -> None:
    message = refused(tmp_path, {**HTTP, "schedule": "nightly"}, {**HTTP, "name": "b", "kind": "ftp"})

    assert "source 'shop': schedule" in message and "cron expression" in message
    assert "source 'b'" in message


def test_two_sources_with_one_name_are_refused(tmp_path: Path) -> None:
    assert "repeated: shop" in refused(tmp_path, HTTP, HTTP)


def test_asking_for_an_unknown_source_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="declared: shop"):
        declare(tmp_path, HTTP).get("nope")
