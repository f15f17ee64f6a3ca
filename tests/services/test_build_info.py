"""The build manifest proves which code runs: per-file hashes, git revision, a check naming each differing file."""

from __future__ import annotations

import json
import subprocess
import types

from services.build_info import (
    BuildOrigin,
    ProblemKind,
    compute_build,
    read_manifest,
    revision_matches,
    tree_digest,
    verify_sources,
    write_manifest,
)
from tests.services.conftest import SourceCopy


def _head(copy: SourceCopy) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=copy.root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_manifest_records_the_commit_per_file_hashes_and_their_digest(source_copy: SourceCopy) -> None:
    build = write_manifest(source_copy.root / "services" / "BUILD_INFO.json", root=source_copy.root)
    stored = json.loads((source_copy.root / "services" / "BUILD_INFO.json").read_text())
    assert stored["revision"] == _head(source_copy) and not build.dirty
    assert "services/cache.py" in stored["files"] and not any("__pycache__" in name for name in stored["files"])
    assert stored["digest"] == tree_digest(stored["files"])
    assert read_manifest(source_copy.root / "services" / "BUILD_INFO.json") == build
    assert build.origin is BuildOrigin.MANIFEST and build.build_time.tzinfo is not None


def test_the_digest_is_deterministic_and_ignores_bytecode_caches(source_copy: SourceCopy) -> None:
    first = compute_build(source_copy.root)
    (source_copy.root / "services" / "__pycache__").mkdir(exist_ok=True)
    (source_copy.root / "services" / "__pycache__" / "cache.cpython-311.pyc").write_bytes(b"stale bytecode")
    assert compute_build(source_copy.root).digest == first.digest


def test_an_uncommitted_change_marks_the_revision_dirty_with_the_tree_hash(source_copy: SourceCopy) -> None:
    with (source_copy.root / "services" / "cache.py").open("a") as module:
        module.write("\n# local edit\n")
    build = compute_build(source_copy.root)
    assert build.revision == f"{_head(source_copy)}-dirty-{build.digest[:12]}"
    assert build.release.endswith(f"-dirty-{build.digest[:12]}")


def test_verification_names_a_changed_and_a_missing_file(source_copy: SourceCopy) -> None:
    build = compute_build(source_copy.root)
    assert verify_sources(build, root=source_copy.root, modules=[]).ok
    with (source_copy.root / "db" / "queries" / "pnl.py").open("a") as module:
        module.write("\nOPEX_FUDGE = 0\n")
    (source_copy.root / "services" / "demo.py").unlink()
    check = verify_sources(build, root=source_copy.root, modules=[])
    found = {(problem.path, problem.kind) for problem in check.problems}
    assert found == {("db/queries/pnl.py", ProblemKind.CHANGED), ("services/demo.py", ProblemKind.MISSING)}
    assert "differs from release" in check.describe() and "db/queries/pnl.py" in check.describe()


def test_an_imported_module_outside_the_release_tree_or_manifest_is_named(source_copy: SourceCopy) -> None:
    build = compute_build(source_copy.root)
    stray = types.ModuleType("services.old_pnl")
    stray.__file__ = "/opt/old-release/services/old_pnl.py"
    extra = source_copy.root / "services" / "hotfix.py"
    extra.write_text("PATCHED = True\n")
    hotfix = types.ModuleType("services.hotfix")
    hotfix.__file__ = str(extra)
    check = verify_sources(build, root=source_copy.root, modules=[stray, hotfix])
    kinds = {problem.module: problem.kind for problem in check.problems}
    assert kinds == {"services.old_pnl": ProblemKind.OUTSIDE, "services.hotfix": ProblemKind.UNLISTED}


def test_revision_matching_accepts_a_short_sha_and_requires_the_same_dirty_marker() -> None:
    commit = "c59c8d33da5e4251ca84eef15c2ccecf919e9a7c"
    assert revision_matches(commit, "c59c8d3")
    assert not revision_matches(commit, "c59c8d")
    assert not revision_matches(f"{commit}-dirty-abcdef123456", "c59c8d3")
    assert revision_matches(f"{commit}-dirty-abcdef123456", "c59c8d33-dirty-abcdef")
    assert not revision_matches("unknown", "unknown")
