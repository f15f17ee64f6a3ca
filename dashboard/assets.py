"""Glance's own static files, served under content-hashed URLs so browsers never run stale code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tornado.web import HTTPError, StaticFileHandler

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/assets/"
ONE_YEAR_S = 365 * 24 * 3600


@dataclass(frozen=True)
class Asset:
    """One static file and the URL name that carries its content hash."""

    path: Path
    hashed_name: str


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """Every static file by its plain name, hashed once per process."""
    found = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            found[path.name] = Asset(path=path, hashed_name=f"{path.stem}.{digest}{path.suffix}")
    return found


def asset_url(name: str) -> str:
    """The content-hashed URL of a static file, e.g. /assets/glance.3fa2b1c9d0e4.css."""
    return PREFIX + assets()[name].hashed_name


class AssetHandler(StaticFileHandler):
    """Serves hashed names only; the content behind a name never changes, so caching is forever."""

    def initialize(self) -> None:  # type: ignore[override]
        super().initialize(path=str(STATIC_DIR))

    def parse_url_path(self, url_path: str) -> str:
        by_hash = {asset.hashed_name: name for name, asset in assets().items()}
        if url_path not in by_hash:
            raise HTTPError(404)
        return by_hash[url_path]

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", f"public, max-age={ONE_YEAR_S}, immutable")


def asset_patterns() -> list[tuple[str, type[AssetHandler]]]:
    """Tornado routes for the hashed static files."""
    return [(rf"{PREFIX}(.*)", AssetHandler)]
