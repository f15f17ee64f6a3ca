"""Schema management: upgrade to head, read the current revision, and compare the two."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (and the Mako templates it loads) is imported where it is used: every `glance`
# command imports this module, and most never touch a migration.

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at Glance's migrations, with no ini file needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration this code ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no Alembic migrations found in the package")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` in one transaction per step."""
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@dataclass(frozen=True)
class SchemaStatus:
    """Where the database schema stands against the code's head."""

    code_head: str
    database: str | None
    error: str = ""

    @property
    def at_head(self) -> bool:
        return not self.error and self.database == self.code_head

    @property
    def known_revision(self) -> bool:
        """False when the database is at a revision this code does not ship (a newer release)."""
        from alembic.script import ScriptDirectory
        from alembic.script.revision import ResolutionError
        from alembic.util import CommandError

        if self.database is None:
            return True
        try:
            return ScriptDirectory.from_config(alembic_config()).get_revision(self.database) is not None
        except (ResolutionError, CommandError):
            return False

    def describe(self) -> str:
        """One line for ops: what is wrong and how to fix it."""
        if self.error:
            return f"database unreachable: {self.error}"
        if self.at_head:
            return f"schema at head ({self.code_head})"
        if self.database is None:
            return f"database is empty (code expects {self.code_head}); run `glance db upgrade`"
        if not self.known_revision:
            return (
                f"database schema {self.database} is newer than this code (head {self.code_head}); "
                "deploy the matching release instead of downgrading"
            )
        return f"database schema {self.database} is behind code head {self.code_head}; run `glance db upgrade`"


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the database revision with the code's head without raising."""
    head = head_revision()
    try:
        return SchemaStatus(code_head=head, database=current_revision(engine))
    except SQLAlchemyError as exc:
        return SchemaStatus(code_head=head, database=None, error=str(exc.__cause__ or exc).splitlines()[0])
