"""Pull a `sql` source: run its query (with `:since`) on any SQLAlchemy URL and stream the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from db.engine import normalise_url
from services.runtime.settings import Settings
from services.sources.batch import BatchFile
from services.sources.config import SqlSource
from services.sources.errors import PullError, SourceConfigError, TransientPullError
from services.sources.retry import with_retries
from services.sources.secrets import resolve_secret

NEVER = datetime(1970, 1, 1, tzinfo=UTC)
"""`:since` for a source never pulled: everything."""
_CHUNK_ROWS = 10_000
_REFUSALS = ("authentication", "access denied", "does not exist", "unknown database", "permission denied")


def fetch_sql(source: SqlSource, *, since: datetime | None, settings: Settings, batch: BatchFile) -> None:
    """Run the source's query for rows since `since` and write them all into `batch`."""
    url = _url(source, settings)
    engine = create_engine(url, poolclass=NullPool, connect_args=_connect_args(url, source))

    def attempt() -> None:
        batch.reset()
        try:
            connection = engine.connect()
        except SQLAlchemyError as exc:
            if _refused(exc):
                raise PullError(
                    f"source {source.name!r}: {_first_line(exc)}", fix="check the url and credentials"
                ) from exc
            raise TransientPullError(f"source {source.name!r}: cannot connect: {_first_line(exc)}") from exc
        try:
            result = connection.execution_options(stream_results=True).execute(
                text(source.query), {"since": since or NEVER} if ":since" in source.query else {}
            )
            header = list(result.keys())
            for chunk in result.partitions(_CHUNK_ROWS):
                batch.add_rows(header, chunk)
        except DBAPIError as exc:
            # Only a dropped connection is worth another go; a bad query fails the same way every time.
            if exc.connection_invalidated:
                raise TransientPullError(f"source {source.name!r}: connection lost: {_first_line(exc)}") from exc
            raise PullError(
                f"source {source.name!r}: the query failed: {_first_line(exc)}", fix="correct the query"
            ) from exc
        except SQLAlchemyError as exc:
            raise PullError(
                f"source {source.name!r}: the query failed: {_first_line(exc)}", fix="correct the query"
            ) from exc
        finally:
            connection.close()

    try:
        with_retries(attempt, policy=source.retry, what=source.name)
    finally:
        engine.dispose()


def _url(source: SqlSource, settings: Settings) -> URL:
    raw = source.url or resolve_secret(
        env=source.url_env, secret=source.url_secret, secrets_dir=settings.secrets_dir, source=source.name, field="url"
    )
    try:
        url = normalise_url(raw)
    except ArgumentError as exc:
        raise SourceConfigError(
            f"source {source.name!r}: the url is not a SQLAlchemy URL ({exc})", fix="correct url"
        ) from exc
    if source.password_env or source.password_secret:
        password = resolve_secret(
            env=source.password_env,
            secret=source.password_secret,
            secrets_dir=settings.secrets_dir,
            source=source.name,
            field="password",
        )
        url = url.set(password=password)
    try:
        url.get_dialect()
    except NoSuchModuleError as exc:
        raise SourceConfigError(
            f"source {source.name!r}: no database driver for {url.drivername!r}",
            fix="use e.g. postgresql://, mysql+pymysql://, sqlite:///",
        ) from exc
    return url


def _connect_args(url: URL, source: SqlSource) -> dict[str, Any]:
    """Connect and read timeouts in each driver's own words."""
    connect, read = int(source.timeout.connect_s) or 1, int(source.timeout.read_s) or 1
    match url.get_backend_name():
        case "postgresql":
            return {"connect_timeout": connect, "options": f"-c statement_timeout={read * 1000}"}
        case "mysql" | "mariadb":
            return {"connect_timeout": connect, "read_timeout": read}
        case "sqlite":
            return {"timeout": connect}
    return {}


def _refused(exc: SQLAlchemyError) -> bool:
    """The server answered but said no (credentials, unknown database): retrying will not help."""
    text_ = _first_line(exc).lower()
    return any(word in text_ for word in _REFUSALS)


def _first_line(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
