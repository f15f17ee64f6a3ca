"""Installs resolve the same way every time: every package pinned by version and hash, no index named, locks agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {name: ROOT / "requirements" / f"{name}.txt" for name in ("app", "test", "compose")}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^ ;\\]+)")


def _pins(path: Path) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match["name"])] = Version(match["version"])
    return pins


def _entries(path: Path) -> list[str]:
    """Each requirement with its continuation lines, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_locked_package_has_an_exact_version_and_hashes(lock: str) -> None:
    unpinned = [entry for entry in _entries(LOCKS[lock]) if not PIN.match(entry) or "--hash=sha256:" not in entry]
    assert unpinned == [] and _pins(LOCKS[lock])


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_a_lock_names_no_index_or_download_address(lock: str) -> None:
    text = LOCKS[lock].read_text(encoding="utf-8")
    assert not re.search(r"(https?|file)://|--(extra-)?index-url|--find-links|--trusted-host", text)


def test_the_test_lock_holds_the_applications_versions_exactly() -> None:
    app, test = _pins(LOCKS["app"]), _pins(LOCKS["test"])
    assert {name: test.get(name) for name in app} == app


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("app", lambda project: project["project"]["dependencies"] + project["build-system"]["requires"]),
        ("test", lambda project: project["project"]["optional-dependencies"]["test"]),
    ],
)
def test_every_requirement_of_pyproject_is_locked_within_its_range(lock: str, requirements) -> None:
    pins = _pins(LOCKS[lock])
    outside = []
    for line in requirements(_pyproject()):
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"python_full_version": "3.11.2"}):
            continue
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned, prereleases=True):
            outside.append(f"{requirement} (locked: {pinned})")
    assert outside == [], "run deploy/lock --upgrade-package NAME for each"


def test_every_install_path_installs_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    build = (ROOT / "deploy" / "build").read_text(encoding="utf-8")
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    install_docker = (ROOT / "deploy" / "install-docker").read_text(encoding="utf-8")
    assert "--require-hashes" in makefile and "requirements/app.txt" in makefile and "requirements/test.txt" in makefile
    assert '"requirements" / "app.txt"' in build and "--require-hashes" in build
    assert "--require-hashes" in dockerfile and "--no-index" in dockerfile
    assert "requirements/compose.txt" in install_docker and "--require-hashes" in install_docker
