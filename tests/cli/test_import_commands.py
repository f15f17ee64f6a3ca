"""`glance import` exit codes: 0 imported, 1 refused, 2 a usage error."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from services.cli.main import app as cli
from services.runtime.settings import Settings


def test_cli_import_exit_codes(glance_env: Settings, tmp_path: Path) -> None:
    good = tmp_path / "s.csv"
    good.write_text("external_id,order_date,territory,units,net_revenue\n1,2025-01-02,UK,1,2\n2,2025-01-02,UK,x,2\n")
    assert CliRunner().invoke(cli, ["import", "sales", str(good)]).exit_code == 0
    assert CliRunner().invoke(cli, ["import", "sales", str(good), "--strict"]).exit_code == 1
    assert CliRunner().invoke(cli, ["import", "sales", str(good), "--map", "nonsense"]).exit_code == 2
    assert CliRunner().invoke(cli, ["import", "sales", str(tmp_path / "missing.csv")]).exit_code == 2
