"""The sources file: what to pull, from where, how often and into which import kind.

A YAML file (`GLANCE_SOURCES_FILE`) with a `sources:` list. Each entry is validated here; secrets
are only references to environment variables or Docker secrets, and a literal one is refused.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.contracts.report import ImportKind
from services.sources.errors import SourceConfigError
from services.sources.schedule import parse_duration, parse_schedule
from services.sources.secrets import literal_secrets

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
_TAGS = {"http", "sql", "folder", "bearer", "basic", "link", "cursor", "page"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Timeouts(_Strict):
    """Seconds to wait for a connection and for each read."""

    connect_s: float = Field(default=5.0, gt=0)
    read_s: float = Field(default=60.0, gt=0)


class RetryPolicy(_Strict):
    """Exponential backoff with full jitter on network errors and 5xx; a 4xx is never retried."""

    attempts: int = Field(default=4, ge=1, le=20)
    backoff_s: float = Field(default=1.0, ge=0)
    max_backoff_s: float = Field(default=30.0, ge=0)


class BearerAuth(_Strict):
    type: Literal["bearer"]
    token_env: str | None = None
    token_secret: str | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> BearerAuth:
        if not (self.token_env or self.token_secret):
            raise ValueError("bearer auth needs token_env: NAME or token_secret: NAME")
        return self


class BasicAuth(_Strict):
    type: Literal["basic"]
    username: str
    password_env: str | None = None
    password_secret: str | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> BasicAuth:
        if not (self.password_env or self.password_secret):
            raise ValueError("basic auth needs password_env: NAME or password_secret: NAME")
        return self


class LinkPagination(_Strict):
    """Follow `Link: <...>; rel="next"` headers."""

    type: Literal["link"]


class CursorPagination(_Strict):
    """Pass the cursor a JSON page names (dotted `field`) as `param` until it is empty."""

    type: Literal["cursor"]
    field: str = "next_cursor"
    param: str = "cursor"


class PagePagination(_Strict):
    """Ask for page 1, 2, 3... until a page comes back empty or shorter than `size`."""

    type: Literal["page"]
    param: str = "page"
    start: int = 1
    size_param: str | None = None
    size: int | None = Field(default=None, gt=0)


class SourceBase(_Strict):
    """What every source declares."""

    name: str = Field(pattern=_NAME)
    schedule: str | None = Field(default=None, description="cron expression or 'every 15m'; none means manual")
    target: ImportKind = Field(description="the import kind each pulled batch goes into")
    mapping: dict[str, str] = Field(default_factory=dict, description="canonical field -> column")
    strict: bool = False
    freshness: str | None = Field(default=None, description="expected freshness, e.g. '26h'")
    timeout: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is not None:
            parse_schedule(value)
        return value

    @field_validator("freshness")
    @classmethod
    def _valid_freshness(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def expected_freshness(self) -> timedelta | None:
        """How old the newest data may get before it counts as stale."""
        return parse_duration(self.freshness) if self.freshness else None


class HttpSource(SourceBase):
    """A CSV or JSON endpoint, paged and incremental."""

    kind: Literal["http"]
    url: str = Field(pattern=r"^https?://")
    format: Literal["csv", "json"] = "json"
    records: str | None = Field(
        default=None, description="dotted path to the rows in a JSON page; none: the page is a list"
    )
    params: dict[str, str] = Field(default_factory=dict)
    auth: Annotated[BearerAuth | BasicAuth, Field(discriminator="type")] | None = None
    pagination: Annotated[LinkPagination | CursorPagination | PagePagination, Field(discriminator="type")] | None = None
    since_param: str | None = Field(default=None, description="query parameter given the start of the last good pull")
    max_pages: int = Field(default=10_000, ge=1)


class SqlSource(SourceBase):
    """Rows from a query on any SQLAlchemy URL; `:since` is the start of the last good pull."""

    kind: Literal["sql"]
    url: str | None = None
    url_env: str | None = None
    url_secret: str | None = None
    password_env: str | None = None
    password_secret: str | None = None
    query: str

    @model_validator(mode="after")
    def _one_url(self) -> SqlSource:
        if sum(bool(v) for v in (self.url, self.url_env, self.url_secret)) != 1:
            raise ValueError("give exactly one of url, url_env or url_secret")
        return self


class FolderSource(SourceBase):
    """Files dropped into a folder, each imported once then moved to done/ or failed/."""

    kind: Literal["folder"]
    path: Path
    pattern: str = "*"
    settle_s: float = Field(default=5.0, ge=0, description="skip files changed more recently than this")


Source = Annotated[HttpSource | SqlSource | FolderSource, Field(discriminator="kind")]


class SourcesFile(_Strict):
    """Every declared source, by name."""

    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        names = [source.name for source in self.sources]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(repeated)}")
        return self

    def get(self, name: str) -> HttpSource | SqlSource | FolderSource:
        """The source called `name`; SourceConfigError naming the known ones when absent."""
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise SourceConfigError(f"no source called {name!r} (declared: {known})", fix="see `glance sources list`")


def load_sources(path: Path | None) -> SourcesFile:
    """Read and validate the sources file; no path means no sources."""
    if path is None:
        return SourcesFile()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SourceConfigError(
            f"cannot read the sources file {path}: {exc.strerror}", fix="check GLANCE_SOURCES_FILE"
        ) from exc
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path} is not valid YAML: {exc}", fix="correct the YAML syntax") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources", []), list):
        raise SourceConfigError(
            f"{path} must hold a mapping with a `sources:` list", fix="see the example in the README"
        )
    for index, entry in enumerate(raw.get("sources", [])):
        name = entry.get("name", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        for field in literal_secrets(entry):
            raise SourceConfigError(
                f"{path}: source {name!r}: field {field!r} holds a literal secret",
                fix="put the secret in an environment variable or a Docker secret and refer to it "
                "with `<field>_env: NAME` or `<field>_secret: NAME` (for a database URL: url_env or password_env)",
            )
    try:
        return SourcesFile.model_validate(raw)
    except ValidationError as exc:
        raise SourceConfigError(_describe(path, raw, exc), fix="correct the sources file") from exc


def _describe(path: Path, raw: dict[str, Any], exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        location = list(error["loc"])
        if len(location) >= 2 and location[0] == "sources" and isinstance(location[1], int):
            entry = raw["sources"][location[1]]
            name = entry.get("name", f"#{location[1] + 1}") if isinstance(entry, dict) else f"#{location[1] + 1}"
            # Drop the discriminator tags pydantic inserts ("http", "bearer"...) from the field path.
            rest = [str(part) for part in location[2:] if part not in _TAGS]
            lines.append(f"source {name!r}: {'.'.join(rest) or 'entry'}: {error['msg']}")
        else:
            lines.append(f"{'.'.join(str(p) for p in location) or 'file'}: {error['msg']}")
    return f"{path} has {len(lines)} problem(s): " + "; ".join(lines)
