"""Provable versions: the build manifest `BUILD_INFO.json` and the check of running code against it.

Every wheel carries the manifest (written by the build backend, `setup.py`, with
`services.runtime.digests`): version, git revision, build time, Alembic head and a SHA-256 digest
over the package sources, with one hash per file so a mismatch names the file. A source checkout
without a manifest computes the same facts on the fly from git. At startup each service checks the
modules it imported, and every file the manifest lists, against it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel, ConfigDict, ValidationError

from services import __version__
from services.runtime.digests import (
    MANIFEST_NAME,
    MANIFEST_PATH,
    SOURCE_PACKAGES,
    UNKNOWN_REVISION,
    build_facts,
    file_hash,
)

SOURCE_ROOT = Path(__file__).resolve().parents[2]
"""The directory holding the `db`, `services` and `dashboard` packages (checkout or site-packages)."""
DEFAULT_MANIFEST = SOURCE_ROOT / MANIFEST_PATH


class BuildOrigin(StrEnum):
    """Where the build facts came from."""

    MANIFEST = "manifest"
    CHECKOUT = "checkout"


class BuildInfo(BaseModel):
    """What a release is: version, revision, build time, schema head and source digest."""

    model_config = ConfigDict(frozen=True)

    version: str
    revision: str
    build_time: datetime
    alembic_head: str
    digest: str
    files: dict[str, str]
    origin: BuildOrigin = BuildOrigin.MANIFEST
    manifest_error: str = ""
    """Set when a manifest exists but cannot be read; verification then fails naming it."""

    @property
    def release(self) -> str:
        """`<version>-<short revision>` (with its dirty marker), as images are tagged."""
        base, dirty, marker = self.revision.partition("-dirty-")
        short = base[:12] if base != UNKNOWN_REVISION else base
        return f"{self.version}-{short}" + (f"-dirty-{marker}" if dirty else "")

    @property
    def commit(self) -> str:
        """The git commit without the dirty marker."""
        return self.revision.partition("-dirty-")[0]

    @property
    def dirty(self) -> bool:
        """True when built from a tree with uncommitted changes."""
        return "-dirty-" in self.revision


class ProblemKind(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    UNLISTED = "not in release"
    UNREADABLE = "manifest unreadable"
    OUTSIDE = "imported from outside the release tree"


class SourceProblem(BaseModel):
    """One file that does not match the release."""

    model_config = ConfigDict(frozen=True)

    path: str
    kind: ProblemKind
    module: str = ""

    def describe(self) -> str:
        """One line naming the file and what is wrong with it."""
        where = f" (module {self.module})" if self.module else ""
        return f"{self.path}{where}: {self.kind.value}"


class SourceCheck(BaseModel):
    """The result of checking running code against the release manifest."""

    model_config = ConfigDict(frozen=True)

    release: str
    checked: int
    problems: tuple[SourceProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """One line for ops and the dashboard banner."""
        if self.ok:
            return f"source digest clean ({self.checked} files match release {self.release})"
        listed = "; ".join(problem.describe() for problem in self.problems)
        return f"this server runs code that differs from release {self.release}: {listed}"


def compute_build(
    root: Path = SOURCE_ROOT, *, origin: BuildOrigin = BuildOrigin.CHECKOUT, revision: str | None = None
) -> BuildInfo:
    """The build facts of the tree at `root`, computed now (`revision` overrides git, for builds without .git)."""
    facts = build_facts(root, version=__version__, revision=revision)
    return BuildInfo.model_validate({**facts, "origin": origin})


class ManifestError(RuntimeError):
    """The manifest exists but cannot be read."""


def read_manifest(path: Path = DEFAULT_MANIFEST) -> BuildInfo | None:
    """The manifest at `path`, or None when there is none (a source checkout)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return BuildInfo.model_validate_json(text)
    except ValidationError as exc:
        raise ManifestError(f"{path} is not a valid build manifest: {exc.errors()[0]['msg']}") from exc


@lru_cache(maxsize=1)
def current_build() -> BuildInfo:
    """This process's release: the shipped manifest, or (in a checkout) the tree as it was at first call."""
    try:
        manifest = read_manifest()
    except ManifestError as exc:
        # Serve on, but loudly: verification reports the broken manifest, so readiness fails naming it.
        return compute_build().model_copy(update={"manifest_error": str(exc)})
    return manifest or compute_build()


@dataclass(frozen=True)
class ImportedSources:
    """The Glance modules a process imported: files inside the release tree, and any from elsewhere."""

    inside: dict[str, str] = field(default_factory=dict)
    outside: list[SourceProblem] = field(default_factory=list)


def imported_sources(modules: Iterable[ModuleType], root: Path) -> ImportedSources:
    """Map each imported Glance module's file (relative to `root`) to its name; flag any loaded from elsewhere."""
    found = ImportedSources()
    inside, outside = found.inside, found.outside
    for module in modules:
        name = getattr(module, "__name__", "")
        file = getattr(module, "__file__", None)
        if name.partition(".")[0] not in SOURCE_PACKAGES or not file:
            continue
        path = Path(file).resolve()
        if path.is_relative_to(root):
            inside[path.relative_to(root).as_posix()] = name
        else:
            outside.append(SourceProblem(path=str(path), kind=ProblemKind.OUTSIDE, module=name))
    return found


def verify_sources(
    build: BuildInfo | None = None, *, root: Path = SOURCE_ROOT, modules: Iterable[ModuleType] | None = None
) -> SourceCheck:
    """Check every imported Glance module and every file the manifest lists against the manifest."""
    build = build or current_build()
    found = imported_sources(list(modules if modules is not None else sys.modules.values()), root)
    imported, problems = found.inside, list(found.outside)
    if build.manifest_error:
        problems.append(SourceProblem(path=f"services/{MANIFEST_NAME}", kind=ProblemKind.UNREADABLE))
    names = sorted(set(build.files) | set(imported))
    for name in names:
        expected = build.files.get(name)
        actual = file_hash(root / name)
        module = imported.get(name, "")
        if expected is None:
            problems.append(SourceProblem(path=name, kind=ProblemKind.UNLISTED, module=module))
        elif actual is None:
            problems.append(SourceProblem(path=name, kind=ProblemKind.MISSING, module=module))
        elif actual != expected:
            problems.append(SourceProblem(path=name, kind=ProblemKind.CHANGED, module=module))
    return SourceCheck(release=build.release, checked=len(names), problems=tuple(problems))


def revision_matches(reported: str, expected: str) -> bool:
    """True when `reported` is the commit `expected` names (7+ hex prefix), dirty marker included."""
    expected_commit, _, expected_marker = expected.strip().lower().partition("-dirty-")
    reported_commit, _, reported_marker = reported.strip().lower().partition("-dirty-")
    if len(expected_commit) < 7 or expected_commit == UNKNOWN_REVISION:
        return False
    if not reported_commit.startswith(expected_commit):
        return False
    return reported_marker.startswith(expected_marker) if expected_marker else not reported_marker


def main(argv: list[str]) -> int:
    """`python -m services.runtime.build_info show|verify`: print the build, or check the install against it."""
    parser = argparse.ArgumentParser(prog="python -m services.runtime.build_info", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show", help="print the build facts this process would report")
    commands.add_parser("verify", help="check every file the manifest lists; exit 1 naming any that differs")
    args = parser.parse_args(argv)
    if args.command == "show":
        print(current_build().model_dump_json(indent=2, exclude={"files"}))
        return 0
    check = verify_sources(modules=[])
    print(check.describe(), file=sys.stdout if check.ok else sys.stderr)
    return 0 if check.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
