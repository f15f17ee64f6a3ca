"""`glance db check|upgrade|current` as ops use them."""

from __future__ import annotations

from pathlib import Path

from db.migrate import head_revision
from tests.cli.conftest import run_glance


def test_db_check_fails_on_an_empty_database_and_passes_after_upgrade(empty_database_url: str, tmp_path: Path) -> None:
    env = {"GLANCE_DATABASE_URL": empty_database_url, "GLANCE_DATA_DIR": str(tmp_path)}

    before = run_glance("db", "check", env=env)
    upgraded = run_glance("db", "upgrade", env=env)
    after = run_glance("db", "check", env=env)
    current = run_glance("db", "current", env=env)

    assert before.returncode == 1
    assert "database is empty" in before.stderr and "glance db upgrade" in before.stderr
    assert upgraded.returncode == 0, upgraded.stderr
    assert after.returncode == 0, after.stderr
    assert f"schema at head ({head_revision()})" in after.stdout
    assert f"database: {head_revision()}" in current.stdout


def test_db_check_names_an_unreachable_database(tmp_path: Path) -> None:
    env = {"GLANCE_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere", "GLANCE_DATA_DIR": str(tmp_path)}

    result = run_glance("db", "check", env=env, timeout=30)

    assert result.returncode == 1
    assert "database unreachable" in result.stderr
    assert "Traceback" not in result.stderr
