"""Secrets in a sources file are references (`token_env: NAME`, `password_secret: NAME`), never values."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from services.sources.errors import SourceConfigError

_SECRET_KEY = re.compile(
    r"(^|[_-])(token|password|passwd|secret|api[_-]?key|authorization|credentials?)$", re.IGNORECASE
)
_REFERENCE = re.compile(r"_(env|secret)$")


def literal_secrets(raw: Any, *, path: str = "") -> Iterator[str]:
    """Dotted paths of fields in a raw source declaration that hold a secret value instead of a reference."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            where = f"{path}.{key}" if path else str(key)
            literal = _SECRET_KEY.search(str(key)) and not _REFERENCE.search(str(key)) and value not in (None, "")
            if literal or (key == "url" and isinstance(value, str) and _url_has_password(value)):
                yield where
            else:
                yield from literal_secrets(value, path=where)
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            yield from literal_secrets(item, path=f"{path}[{index}]")


def _url_has_password(url: str) -> bool:
    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return False


def resolve_secret(*, env: str | None, secret: str | None, secrets_dir: Path, source: str, field: str) -> str:
    """The value behind an `_env` or `_secret` reference; SourceConfigError when it is not there."""
    if env:
        value = os.environ.get(env)
        if not value:
            raise SourceConfigError(
                f"source {source!r}: {field}_env names the environment variable {env}, which is not set",
                fix=f"set {env} in the sync service's environment",
            )
        return value
    if secret:
        file = secrets_dir / secret
        if not file.is_file():
            raise SourceConfigError(
                f"source {source!r}: {field}_secret names the Docker secret {secret}, but {file} does not exist",
                fix=f"add the secret {secret!r} to the sync service in compose.yaml",
            )
        return file.read_text(encoding="utf-8").strip()
    raise SourceConfigError(
        f"source {source!r}: {field} is required", fix=f"add {field}_env: NAME or {field}_secret: NAME"
    )
