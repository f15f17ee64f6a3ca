"""Alerts reach a local webhook receiver and a local SMTP server once per condition, then once resolved."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from db.models import ImportRun
from db.scope import Scope
from db.types import utcnow
from services.imports import run_import
from services.ops.alerts import check_alerts
from services.runtime.settings import Settings
from services.sources import SourcesFile
from services.sources.state import record_failure, record_success
from tests.sync.conftest import sales_rows, write_csv


@dataclass
class Webhook:
    """A loopback webhook receiver: keeps every JSON body, answers `status`."""

    url: str = ""
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [body["text"] for body in self.received]


@dataclass
class Mailbox:
    """What the loopback SMTP server accepted: subject lines."""

    port: int = 0
    subjects: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.subjects.append(str(message_from_bytes(envelope.content)["Subject"]))
        return "250 OK"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if hook.status == 200:
                hook.received.append(json.loads(body))
            self.send_response(hook.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/glance"
    yield hook
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    # aiosmtpd logs each connection from its own thread, possibly after pytest closed the captured stream.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def alert_settings(webhook: Webhook, mailbox: Mailbox, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        alert_webhooks=webhook.url,
        alert_email_to="ops@example.com",
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        alert_failures_in_a_row=3,
        alert_rejected_share=0.1,
        alert_timeout_s=5,
    )


def fail_pull(engine: Engine, name: str = "shop") -> None:
    with Session(engine) as session:
        record_failure(session, name=name, error="https://shop.example answered 503")
        session.commit()


def check(engine: Engine, settings: Settings) -> list[str]:
    return [d.notice.text for d in check_alerts(engine, settings=settings, sources=SourcesFile())]


def test_a_source_failing_three_times_alerts_once_then_resolves_once(
    backend_engine: Engine, alert_settings: Settings, webhook: Webhook, mailbox: Mailbox
) -> None:
    fail_pull(backend_engine)
    fail_pull(backend_engine)
    quiet = check(backend_engine, alert_settings)
    fail_pull(backend_engine)
    check(backend_engine, alert_settings)
    fail_pull(backend_engine)
    check(backend_engine, alert_settings)
    with Session(backend_engine) as session:
        record_success(session, name="shop", started_at=utcnow())
        session.commit()
    check(backend_engine, alert_settings)
    check(backend_engine, alert_settings)

    assert quiet == []
    assert len(webhook.texts) == 2
    assert webhook.texts[0].startswith("[Glance] ALERT: source shop failed 3 times in a row")
    assert webhook.texts[1].startswith("[Glance] RESOLVED: source shop")
    assert [s.split(":")[0] for s in mailbox.subjects] == ["[Glance] ALERT", "[Glance] RESOLVED"]


def test_stale_data_alerts_and_fresh_data_resolves(
    backend_engine: Engine, alert_settings: Settings, webhook: Webhook, tmp_path: Path
) -> None:
    settings = alert_settings.model_copy(update={"freshness_hours": {"sales": 2}})
    run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "a.csv", sales_rows(3)),
        settings=settings,
    )
    with backend_engine.begin() as conn:
        conn.execute(update(ImportRun).values(finished_at=utcnow() - timedelta(hours=3)))

    check(backend_engine, settings)
    run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "b.csv", sales_rows(3, start=9)),
        settings=settings,
    )
    check(backend_engine, settings)

    assert len(webhook.texts) == 2
    assert "ALERT: kind sales: newest data 3.0 h old (expected within 2 h) - stale" in webhook.texts[0]
    assert "RESOLVED: kind sales: data is fresh again" in webhook.texts[1]


def test_an_import_rejecting_too_many_rows_alerts_until_a_clean_one(
    backend_engine: Engine, alert_settings: Settings, webhook: Webhook, tmp_path: Path
) -> None:
    rows = sales_rows(5)
    rows[1]["units"] = "many"
    rows[3]["order_date"] = "someday"
    run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "bad.csv", rows),
        source="shop",
        settings=alert_settings,
    )
    check(backend_engine, alert_settings)
    run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "ok.csv", sales_rows(5)),
        source="shop",
        settings=alert_settings,
    )
    check(backend_engine, alert_settings)

    assert len(webhook.texts) == 2
    assert "rejected 2 of 5 rows (40%, more than 10%)" in webhook.texts[0]
    assert webhook.texts[1].startswith("[Glance] RESOLVED: the latest import of shop")


def test_an_undelivered_alert_is_sent_again_at_the_next_check_and_then_not_repeated(
    backend_engine: Engine, alert_settings: Settings, webhook: Webhook, mailbox: Mailbox
) -> None:
    for _ in range(3):
        fail_pull(backend_engine)
    webhook.status = 500
    first = check_alerts(backend_engine, settings=alert_settings, sources=SourcesFile())
    webhook.status = 200
    check(backend_engine, alert_settings)
    check(backend_engine, alert_settings)

    assert not first[0].delivered and "500" in first[0].errors[0]
    assert len(webhook.texts) == 1 and "ALERT" in webhook.texts[0]


def test_an_unreachable_smtp_server_is_reported_not_raised(
    backend_engine: Engine, alert_settings: Settings, webhook: Webhook
) -> None:
    settings = alert_settings.model_copy(update={"smtp_port": 9})
    for _ in range(3):
        fail_pull(backend_engine)

    [delivery] = check_alerts(backend_engine, settings=settings, sources=SourcesFile())

    assert "email via 127.0.0.1:9" in delivery.errors[0]
    assert len(webhook.texts) == 1
