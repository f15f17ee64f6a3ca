"""The build manifest proves which code runs: per-file hashes, git revision, a check naming each differing file."""

from __future__ import annotations

import json
import os
import subprocess
import types
import zipfile
from pathlib import Path

from db.migrate import head_revision
from services import __version__
from services.runtime.build_info import (
    BuildOrigin,
    ProblemKind,
    compute_build,
    read_manifest,
    revision_matches,
    verify_sources,
)
from services.runtime.digests import hash_tree, migration_head, tree_digest, write_manifest
from tests.services.conftest import SourceCopy, install_wheel


def _head(copy: SourceCopy) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=copy.root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_manifest_records_the_commit_per_file_hashes_and_their_digest(source_copy: SourceCopy) -> None:
    path = write_manifest(source_copy.root, version=__version__)
    stored = json.loads(path.read_text())
    build = read_manifest(path)
    assert build is not None and path == source_copy.root / "services" / "BUILD_INFO.json"
    assert stored["revision"] == _head(source_copy) and not build.dirty
    assert "services/cache/query_cache.py" in stored["files"] and not any(
        "__pycache__" in name for name in stored["files"]
    )
    assert stored["digest"] == tree_digest(stored["files"])
    assert build.origin is BuildOrigin.MANIFEST and build.build_time.tzinfo is not None


def test_the_digest_is_deterministic_and_ignores_bytecode_caches(source_copy: SourceCopy) -> None:
    first = compute_build(source_copy.root)
    (source_copy.root / "services" / "__pycache__").mkdir(exist_ok=True)
    (source_copy.root / "services" / "__pycache__" / "cache.cpython-311.pyc").write_bytes(b"stale bytecode")
    assert compute_build(source_copy.root).digest == first.digest


def test_an_uncommitted_change_marks_the_revision_dirty_with_the_tree_hash(source_copy: SourceCopy) -> None:
    with (source_copy.root / "services" / "cache" / "query_cache.py").open("a") as module:
        module.write("\n# local edit\n")
    build = compute_build(source_copy.root)
    assert build.revision == f"{_head(source_copy)}-dirty-{build.digest[:12]}"
    assert build.release.endswith(f"-dirty-{build.digest[:12]}")


def test_verification_names_a_changed_and_a_missing_file(source_copy: SourceCopy) -> None:
    build = compute_build(source_copy.root)
    assert verify_sources(build, root=source_copy.root, modules=[]).ok
    with (source_copy.root / "db" / "queries" / "pnl.py").open("a") as module:
        module.write("\nOPEX_FUDGE = 0\n")
    (source_copy.root / "services" / "embedded" / "demo.py").unlink()
    check = verify_sources(build, root=source_copy.root, modules=[])
    found = {(problem.path, problem.kind) for problem in check.problems}
    assert found == {("db/queries/pnl.py", ProblemKind.CHANGED), ("services/embedded/demo.py", ProblemKind.MISSING)}
    assert "differs from release" in check.describe() and "db/queries/pnl.py" in check.describe()


def test_a_file_changed_after_a_check_is_caught_by_the_next_even_with_its_size_and_time_kept(
    source_copy: SourceCopy,
) -> None:
    # Readiness re-checks on every probe and hashes only files whose stat changed: a same-size edit
    # with the modification time set back must still be read again.
    build = compute_build(source_copy.root)
    assert verify_sources(build, root=source_copy.root, modules=[]).ok
    module = source_copy.root / "db" / "queries" / "pnl.py"
    before = module.stat()
    text = module.read_bytes()
    module.write_bytes(text.replace(b"def ", b"def_", 1)[: len(text)])
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert module.stat().st_size == before.st_size and module.stat().st_mtime_ns == before.st_mtime_ns

    check = verify_sources(build, root=source_copy.root, modules=[])

    assert [(problem.path, problem.kind) for problem in check.problems] == [("db/queries/pnl.py", ProblemKind.CHANGED)]


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


def test_the_manifests_schema_head_is_alembics() -> None:
    # The build backend reads the head without Alembic installed; it must name the same revision.
    assert migration_head(Path(__file__).resolve().parents[2]) == head_revision()


def test_a_wheel_built_from_the_repository_carries_the_manifest_of_exactly_its_files(
    source_copy: SourceCopy, tmp_path: Path
) -> None:
    installed = install_wheel(source_copy, tmp_path / "site")
    wheel = next((tmp_path / "site-wheel").glob("glance-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        stored = json.loads(archive.read("services/BUILD_INFO.json"))
    assert stored["revision"] == _head(source_copy) and stored["alembic_head"] == head_revision()
    assert stored["files"] == hash_tree(installed.root) and stored["digest"] == tree_digest(stored["files"])
    shown = installed.run("-m", "services.runtime.build_info", "show")
    assert shown.returncode == 0 and json.loads(shown.stdout)["origin"] == "manifest", shown.stderr


def test_a_wheel_built_without_git_takes_its_revision_from_the_environment(
    source_copy: SourceCopy, tmp_path: Path
) -> None:
    revision = "0123456789abcdef0123456789abcdef01234567"
    installed = install_wheel(source_copy, tmp_path / "site", GLANCE_REVISION=revision)
    stored = json.loads((installed.root / "services" / "BUILD_INFO.json").read_text())
    assert stored["revision"] == revision


def test_an_install_changed_after_the_wheel_was_built_fails_verification_naming_the_file(
    source_copy: SourceCopy, tmp_path: Path
) -> None:
    installed = install_wheel(source_copy, tmp_path / "site")
    clean = installed.run("-m", "services.runtime.build_info", "verify")
    assert clean.returncode == 0 and "source digest clean" in clean.stdout, clean.stderr
    with (installed.root / "db" / "queries" / "pnl.py").open("a") as module:
        module.write("\nOPEX_FUDGE = 0\n")
    tampered = installed.run("-m", "services.runtime.build_info", "verify")
    assert tampered.returncode == 1 and "db/queries/pnl.py: changed" in tampered.stderr
