"""Secrets kept in files of the data dir (owner-only), for the embedded default and its dashboard."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_secret(path: Path, value: str) -> None:
    """Write a secret readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)


def stored_secret(path: Path) -> str:
    """A random secret kept in a file (mode 0600), created on first use."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(32)
    write_secret(path, value)
    return value
