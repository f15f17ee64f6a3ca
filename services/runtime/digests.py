"""The release manifest `BUILD_INFO.json`: what it records, computed with the standard library only.

The build backend (`setup.py`) writes it into every wheel while the wheel is built, before any of
Glance's dependencies is installed, so this module imports nothing but the standard library and
`services.runtime.digests`. `services.runtime.build_info` reads the manifest and checks running code against it
with the same functions, so a digest means the same thing at build time and at run time.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SOURCE_PACKAGES = ("db", "services", "dashboard")
SOURCE_SUFFIXES = frozenset({".py", ".mako", ".ini", ".css", ".js", ".svg", ".png", ".html"})
MANIFEST_NAME = "BUILD_INFO.json"
MANIFEST_PATH = f"services/{MANIFEST_NAME}"
"""Where the manifest sits, relative to the directory holding the packages."""
MIGRATION_VERSIONS = Path("db") / "migrations" / "versions"
UNKNOWN_REVISION = "unknown"
_CHUNK = 1 << 22


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_HASHED: dict[Path, tuple[tuple[int, ...], str]] = {}
"""The last hash of each file, with the stat that identified its bytes then."""


def file_hash(path: Path) -> str | None:
    """SHA-256 of a file's bytes (streamed), or None when it does not exist.

    A file whose device, inode, size, modification and change times are what they were when it was
    last hashed is not read again: a probe that re-checks the whole tree costs one `stat` per file.
    Any write changes the change time (which no user-space call can set back), so an edited or
    replaced file is always hashed afresh.
    """
    try:
        stat = path.stat()
        identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        known = _HASHED.get(path)
        if known is not None and known[0] == identity:
            return known[1]
        digest = sha256_file(path)
    except FileNotFoundError:
        return None
    _HASHED[path] = (identity, digest)
    return digest


def source_files(root: Path) -> list[str]:
    """The release's source files as sorted POSIX paths relative to `root` (no caches, no manifest)."""
    found: list[str] = []
    for package in SOURCE_PACKAGES:
        for path in (root / package).rglob("*"):
            if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def hash_tree(root: Path) -> dict[str, str]:
    """Per-file SHA-256 of every source file under `root`."""
    hashes: dict[str, str] = {}
    for name in source_files(root):
        digest = file_hash(root / name)
        if digest is not None:
            hashes[name] = digest
    return hashes


def tree_digest(files: Mapping[str, str]) -> str:
    """One SHA-256 over the sorted (path, file hash) pairs, so renames change it too."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\n".encode())
    return digest.hexdigest()


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_revision(root: Path, *, digest: str) -> str:
    """HEAD's commit, marked `-dirty-<digest prefix>` when the package sources have uncommitted changes."""
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return UNKNOWN_REVISION
    changes = _git(root, "status", "--porcelain", "--", *SOURCE_PACKAGES, f":(exclude)*{MANIFEST_NAME}")
    return f"{commit}-dirty-{digest[:12]}" if changes else commit


def _module_constants(path: Path) -> dict[str, Any]:
    """The literal module-level assignments of a migration script (`revision`, `down_revision`)."""
    constants: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            try:
                constants[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return constants


def migration_head(root: Path) -> str:
    """The newest migration under `root`: the one revision no other names as its parent."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (root / MIGRATION_VERSIONS).glob("*.py"):
        constants = _module_constants(path)
        if isinstance(constants.get("revision"), str):
            revisions.add(constants["revision"])
            down = constants.get("down_revision")
            parents.update(down if isinstance(down, tuple | list) else [down] if isinstance(down, str) else [])
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise RuntimeError(f"expected one migration head under {root / MIGRATION_VERSIONS}, found {heads or 'none'}")
    return heads[0]


def build_time() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds: the same tree builds the same wheel)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)


def build_facts(
    root: Path, *, version: str, revision: str | None = None, git_root: Path | None = None
) -> dict[str, Any]:
    """Everything the manifest records about the tree at `root`, computed now, as JSON-ready values."""
    files = hash_tree(root)
    digest = tree_digest(files)
    return {
        "version": version,
        "revision": revision or git_revision(git_root or root, digest=digest),
        "build_time": build_time().isoformat(),
        "alembic_head": migration_head(root),
        "digest": digest,
        "files": files,
    }


def write_manifest(root: Path, *, version: str, revision: str | None = None, git_root: Path | None = None) -> Path:
    """Write `services/BUILD_INFO.json` under `root` for the tree there; returns its path."""
    path = root / MANIFEST_PATH
    facts = build_facts(root, version=version, revision=revision, git_root=git_root)
    path.write_text(json.dumps({**facts, "origin": "manifest"}, indent=2) + "\n", encoding="utf-8")
    return path
