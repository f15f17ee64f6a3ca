"""`glance` imports only the command group it runs; its help still lists every command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from services.cli.main import GROUPS

_LOADED = (
    "import sys; sys.argv = ['glance', *sys.argv[1:]]; import services.cli.main; "
    "print(' '.join(sorted(m for m in sys.modules if m.startswith('services.cli.') and m != 'services.cli.main')))"
)


def _cli_modules_loaded(*args: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_an_import_loads_the_import_commands_alone() -> None:
    assert _cli_modules_loaded("import", "sales", "--help") == {"services.cli.imports", "services.cli.output"}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_each_group_leaves_the_others_heavy_modules_unloaded(group: str) -> None:
    loaded = _cli_modules_loaded(group, "--help")

    assert f"services.cli.{GROUPS[group]}" in loaded
    # Top-level commands (demo, serve, health) and the groups with libraries of their own.
    unrelated = {"services.cli.run", "services.cli.ops", "services.cli.backup", "services.cli.sources"}
    assert not loaded & (unrelated - {f"services.cli.{GROUPS[group]}"})


def test_help_and_top_level_commands_load_everything() -> None:
    assert {f"services.cli.{m}" for m in GROUPS.values()} <= _cli_modules_loaded("--help")
    assert {"services.cli.run", "services.cli.ops"} <= _cli_modules_loaded("version")
    listed = subprocess.run(
        [sys.executable, "-c", "from services.cli.main import app; app()", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    ).stdout
    for command in [*GROUPS, "demo", "serve", "health", "version", "verify-deploy", "cache"]:
        assert f" {command} " in listed
