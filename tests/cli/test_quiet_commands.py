"""Commands print what they were asked for: library logs below warning stay off the terminal unless --verbose."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run_glance


def _env(tmp_path: Path) -> dict[str, str]:
    return {"GLANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'glance.db'}", "GLANCE_DATA_DIR": str(tmp_path / "data")}


def test_a_report_prints_the_report_and_nothing_else(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_glance("db", "upgrade", env=env).returncode == 0
    report = run_glance("report", "kpis", "--format", "json", env=env)
    assert report.returncode == 0 and report.stderr == ""
    assert json.loads(report.stdout)["report"] == "kpis"


def test_a_migration_says_where_the_schema_stands_without_library_chatter(tmp_path: Path) -> None:
    upgraded = run_glance("db", "upgrade", env=_env(tmp_path))
    assert upgraded.returncode == 0
    assert "setup plugin" not in upgraded.stderr + upgraded.stdout and '"level": "info"' not in upgraded.stderr
    assert "schema at head" in upgraded.stdout


def test_verbose_shows_the_informational_logs_too(tmp_path: Path) -> None:
    upgraded = run_glance("--verbose", "db", "upgrade", env=_env(tmp_path))
    assert upgraded.returncode == 0 and "setup plugin alembic" in upgraded.stderr
