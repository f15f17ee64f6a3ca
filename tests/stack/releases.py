"""Build releases for the stack tests: the current tree, and variants of it committed in a scratch repo."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from db.migrate import head_revision
from tests.stack.harness import REPO, run

# A build whose db.queries differs visibly: every breakdown key is marked, so a report or page
# served by the old code (or from a cache filled by it) cannot pass for the new one.
QUERIES_V2_PATCH = '''

# Stack-test build only (tests/stack/releases.py): mark every breakdown key.
import dataclasses as _dataclasses

_v1_sales_breakdown = sales_breakdown


def sales_breakdown(*args, **kwargs):  # type: ignore[no-redef]
    """The v1 breakdown with " [v2]" after each key."""
    result = _v1_sales_breakdown(*args, **kwargs)
    return _dataclasses.replace(result, rows=[_dataclasses.replace(row, key=f"{row.key} [v2]") for row in result.rows])
'''
V2_MARK = " [v2]"


def broken_migration(down_revision: str) -> str:
    """A migration that fails with an SQL error, as a bad release would."""
    return f'''"""Stack-test build only: a migration that fails, to prove a failed release changes nothing."""

from alembic import op

revision = "9999_broken"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT no_such_column FROM alembic_version")


def downgrade() -> None:
    pass
'''


def extra_migration(down_revision: str) -> str:
    """A harmless migration: a release with it leaves the schema ahead of every other build."""
    return f'''"""Stack-test build only: one more table, so older code finds the schema ahead of it."""

import sqlalchemy as sa
from alembic import op

revision = "9998_extra"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("stack_test_marker", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("stack_test_marker")
'''


@dataclass(frozen=True)
class Release:
    """A built release: its image tag and the git revision its /version must report."""

    tag: str
    revision: str


def build_current_tree() -> Release:
    """Build every image of the working tree with deploy/build."""
    tag = run([str(REPO / "deploy" / "build")], timeout_s=1200).stdout.strip().splitlines()[-1]
    label = '{{ index .Config.Labels "org.opencontainers.image.revision" }}'
    revision = run(["docker", "image", "inspect", "--format", label, f"glance-sync:{tag}"]).stdout.strip()
    return Release(tag=tag, revision=revision)


def _tree_files() -> list[str]:
    listed = run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    return sorted(name for name in set(listed.split("\0")) if name and (REPO / name).is_file())


def build_variant(
    workdir: Path, *, name: str, append: dict[str, str] | None = None, add: dict[str, str] | None = None
) -> Release:
    """Copy the tree, change it, commit it in a scratch repo and build its app images."""
    tree = workdir / name
    for file in _tree_files():
        (tree / file).parent.mkdir(parents=True, exist_ok=True)
        (tree / file).write_bytes((REPO / file).read_bytes())
        (tree / file).chmod((REPO / file).stat().st_mode)
    for file, text in (append or {}).items():
        with (tree / file).open("a", encoding="utf-8") as handle:
            handle.write(text)
    for file, text in (add or {}).items():
        (tree / file).write_text(text, encoding="utf-8")
    git = ["git", "-C", str(tree), "-c", "user.name=stack-test", "-c", "user.email=stack-test@localhost"]
    run([*git, "init", "--quiet"])
    run([*git, "add", "--all"])
    run([*git, "commit", "--quiet", "--message", f"stack test variant: {name}"])
    revision = run([*git, "rev-parse", "HEAD"]).stdout.strip()
    env = {"GLANCE_WHEELHOUSE": str(REPO / "build" / "wheelhouse"), "GLANCE_BUILD_PYTHON": sys.executable}
    built = run([str(tree / "deploy" / "build"), "--app-only"], timeout_s=900, env=env)
    return Release(tag=built.stdout.strip().splitlines()[-1], revision=revision)


def remove_images(release: Release) -> None:
    """Delete a test release's images (left alone while a container still uses them)."""
    run(["docker", "image", "rm", f"glance-sync:{release.tag}", f"glance-dashboard:{release.tag}"], check=False)


def build_queries_v2(workdir: Path) -> Release:
    """The current tree with the visible db.queries change."""
    return build_variant(workdir, name="queries-v2", append={"db/queries/__init__.py": QUERIES_V2_PATCH})


def build_broken_migration(workdir: Path) -> Release:
    """The current tree plus a migration that fails."""
    migration = "db/migrations/versions/2099_01_01_9999_broken_on_purpose.py"
    return build_variant(workdir, name="broken-migration", add={migration: broken_migration(head_revision())})


def build_extra_migration(workdir: Path) -> Release:
    """The current tree plus a migration that works."""
    migration = "db/migrations/versions/2099_01_01_9998_extra_table.py"
    return build_variant(workdir, name="extra-migration", add={migration: extra_migration(head_revision())})
