"""A real HTTP server on loopback serving paged CSV and JSON sales, failing or stalling on demand."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from services.runtime.settings import Settings
from services.sources import SourcesFile, load_sources
from tests.factories import SALES_HEADER
from tests.sync.conftest import sales_rows


@dataclass
class Request:
    """One request the server answered."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeShop:
    """What the server serves and how it misbehaves; tests change it between pulls."""

    rows: list[dict[str, str]] = field(default_factory=list)
    added: list[datetime] = field(default_factory=list)
    token: str | None = None
    failures: dict[str, list[int]] = field(default_factory=dict)
    stall_s: dict[str, float] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def add(self, rows: list[dict[str, str]]) -> None:
        """New rows on the server, stamped now (what `since` filters on)."""
        now = datetime.now(UTC)
        self.rows += rows
        self.added += [now] * len(rows)

    def fail(self, path: str, *statuses: int) -> None:
        """Answer the next requests to `path` (or `path?page=N`) with these statuses, in order."""
        self.failures.setdefault(path, []).extend(statuses)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def since(self, query: dict[str, str]) -> list[dict[str, str]]:
        if "since" not in query:
            return self.rows
        since = datetime.fromisoformat(query["since"])
        return [row for row, added in zip(self.rows, self.added, strict=True) if added >= since]


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SALES_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _handler(shop: FakeShop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            shop.requests.append(Request(parts.path, query, dict(self.headers)))
            if parts.path in shop.stall_s:
                time.sleep(shop.stall_s[parts.path])
            for key in (f"{parts.path}?page={query.get('page')}", parts.path):
                if shop.failures.get(key):
                    self._send(shop.failures[key].pop(0), "text/plain", "failing on purpose")
                    return
            if shop.token and self.headers.get("Authorization") != f"Bearer {shop.token}":
                self._send(401, "text/plain", "no")
                return
            rows = shop.since(query)
            match parts.path:
                case "/csv/pages":
                    size, page = int(query.get("per_page", "3")), int(query.get("page", "0"))
                    self._send(200, "text/csv", _csv(rows[(page - 1) * size : page * size] if page else rows))
                case "/csv/link":
                    offset = int(query.get("offset", "0"))
                    more = offset + 3 < len(rows)
                    link = {"Link": f'</csv/link?offset={offset + 3}&since={query.get("since", "")}>; rel="next"'}
                    if "since" not in query:
                        link = {"Link": f'</csv/link?offset={offset + 3}>; rel="next"'}
                    self._send(200, "text/csv", _csv(rows[offset : offset + 3]), link if more else {})
                case "/json/cursor":
                    start = int(query.get("cursor", "0"))
                    page = [
                        {**r, "units": int(r["units"]), "net_revenue": float(r["net_revenue"])}
                        for r in rows[start : start + 4]
                    ]
                    following = str(start + 4) if start + 4 < len(rows) else None
                    body = {"data": page, "meta": {"next": following}}
                    self._send(200, "application/json", json.dumps(body))
                case _:
                    self._send(404, "text/plain", "not here")

        def _send(self, status: int, content_type: str, body: str, headers: dict[str, str] | None = None) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up on a stalled answer (the read-timeout test) is expected, not news."""


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    """A running fake shop API on 127.0.0.1 with 7 sales lines."""
    state = FakeShop()
    state.add(sales_rows(7))
    server = _QuietServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a data dir of the test's own."""
    return Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "secrets")


def declare(tmp_path: Path, *sources: dict[str, Any]) -> SourcesFile:
    """Write a sources file holding `sources` and load it as the service would."""
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": list(sources)}), encoding="utf-8")
    return load_sources(path)


FAST_RETRY = {"attempts": 3, "backoff_s": 0.01, "max_backoff_s": 0.02}
