"""`glance db check|upgrade|current` as ops use them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from db.engine import make_engine
from db.migrate import head_revision
from services.auth import authenticate, verify_token
from services.runtime.settings import Settings
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


def test_db_upgrade_creates_the_first_admin_and_accepts_the_dashboard_token_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    token = "t0ken-from-the-env-file-0123456789"
    env = {
        "GLANCE_DATABASE_URL": empty_database_url,
        "GLANCE_DATA_DIR": str(tmp_path),
        "GLANCE_ADMIN_PASSWORD": "correct horse battery staple",
        "GLANCE_API_TOKEN": token,
    }

    first = run_glance("db", "upgrade", env=env)
    again = run_glance("db", "upgrade", env=env)

    assert first.returncode == 0, first.stderr
    assert "created the first admin user 'admin'" in first.stdout
    assert "registered GLANCE_API_TOKEN" in first.stdout
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stdout and "registered" not in again.stdout
    engine = make_engine(Settings(), url=empty_database_url)
    with Session(engine) as session:
        assert authenticate(session, username="admin", password="correct horse battery staple") is not None
        assert verify_token(session, token=token) is not None
    engine.dispose()


def test_db_upgrade_refuses_a_database_from_a_newer_release(empty_database_url: str, tmp_path: Path) -> None:
    env = {"GLANCE_DATABASE_URL": empty_database_url, "GLANCE_DATA_DIR": str(tmp_path)}
    assert run_glance("db", "upgrade", env=env).returncode == 0
    engine = make_engine(Settings(), url=empty_database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()

    result = run_glance("db", "upgrade", env=env)

    assert result.returncode == 1
    assert "9999_from_the_future is newer than this code" in result.stderr
    assert "Traceback" not in result.stderr
