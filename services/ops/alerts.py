"""Alerts: a source failing N times in a row, stale data, an import rejecting too many rows.

Each condition has a key. An alert is sent once when its condition starts and a "resolved"
message once when it clears; the state lives in `alert_state`, so restarts and replicas do not
repeat it. A message that no channel took is tried again at the next check.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum

import httpx
import structlog
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from db.models import AlertState, ImportRun, SourceState
from db.types import utcnow
from services.contracts.report import RunStatus
from services.ops.freshness import data_freshness
from services.runtime.settings import Settings
from services.sources.config import SourcesFile

ALERT_LOCK = 0x474C4E10
"""Transaction advisory lock key: one alert check at a time across replicas (Postgres)."""

log = structlog.get_logger(__name__)


class AlertStatus(StrEnum):
    firing = "firing"
    resolved = "resolved"


@dataclass(frozen=True)
class Condition:
    """One alert condition as evaluated now."""

    key: str
    active: bool
    message: str


@dataclass(frozen=True)
class Notice:
    """A message to send: an alert starting or clearing."""

    key: str
    status: AlertStatus
    message: str

    @property
    def text(self) -> str:
        prefix = "ALERT" if self.status is AlertStatus.firing else "RESOLVED"
        return f"[Glance] {prefix}: {self.message}"


@dataclass(frozen=True)
class Delivery:
    """What happened to one notice: delivered to every channel, or the errors."""

    notice: Notice
    errors: list[str] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return not self.errors


def check_alerts(engine: Engine, *, settings: Settings, sources: SourcesFile) -> list[Delivery]:
    """Evaluate every condition, send what started or cleared, and remember it."""
    with Session(engine, expire_on_commit=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALERT_LOCK})
        conditions = [
            *failing_sources(session, settings=settings),
            *stale_data(session, settings=settings, sources=sources),
            *rejecting_imports(session, settings=settings),
        ]
        deliveries = [send(notice, settings=settings) for notice in _notices(session, conditions)]
        for delivery in deliveries:
            session.get_one(AlertState, delivery.notice.key).delivered = delivery.delivered
        session.commit()
    return deliveries


def failing_sources(session: Session, *, settings: Settings) -> list[Condition]:
    """A source whose last N pulls failed."""
    limit = settings.alert_failures_in_a_row
    return [
        Condition(
            key=f"source-failing:{state.name}",
            active=state.consecutive_failures >= limit,
            message=f"source {state.name} failed {state.consecutive_failures} times in a row: {state.last_error}"
            if state.consecutive_failures >= limit
            else f"source {state.name} pulls again",
        )
        for state in session.execute(select(SourceState)).scalars()
    ]


def stale_data(session: Session, *, settings: Settings, sources: SourcesFile) -> list[Condition]:
    """An import kind or source whose newest data is older than expected."""
    return [
        Condition(
            key=f"stale:{item.subject}:{item.name}",
            active=item.stale,
            message=item.describe() if item.stale else f"{item.subject} {item.name}: data is fresh again",
        )
        for item in data_freshness(session, settings=settings, sources=sources)
        if item.expected_s is not None
    ]


def rejecting_imports(session: Session, *, settings: Settings) -> list[Condition]:
    """A source whose latest import rejected more than the allowed share of its rows."""
    latest = (
        select(func.max(ImportRun.id))
        .where(
            col(ImportRun.status).in_([RunStatus.succeeded.value, RunStatus.refused.value]),
            col(ImportRun.rows_read) > 0,
        )
        .group_by(ImportRun.source)
    )
    runs = session.execute(select(ImportRun).where(col(ImportRun.id).in_(latest))).scalars()
    conditions = []
    for run in runs:
        share = run.rejected / run.rows_read
        active = share > settings.alert_rejected_share
        message = (
            f"import run {run.id} of {run.source} ({run.filename}) rejected {run.rejected} of {run.rows_read} rows "
            f"({share:.0%}, more than {settings.alert_rejected_share:.0%})"
            if active
            else f"the latest import of {run.source} (run {run.id}) rejected {share:.0%} of its rows"
        )
        conditions.append(Condition(key=f"rejections:{run.source}", active=active, message=message))
    return conditions


def _notices(session: Session, conditions: list[Condition]) -> list[Notice]:
    """Turn conditions into notices, one per change (and retries of undelivered ones), updating state."""
    states = {state.key: state for state in session.execute(select(AlertState)).scalars()}
    evaluated = {condition.key: condition for condition in conditions}
    # A condition no longer evaluated (its source was removed from the file) counts as cleared.
    for key, stored in states.items():
        evaluated.setdefault(key, Condition(key=key, active=False, message=f"{stored.message} (no longer checked)"))
    notices = []
    for condition in evaluated.values():
        state = states.get(condition.key)
        if condition.active and (state is None or not state.active):
            state = state or AlertState(key=condition.key)
            state.active, state.delivered, state.message, state.raised_at = True, False, condition.message, utcnow()
            session.add(state)
        elif not condition.active and state is not None and state.active:
            state.active, state.delivered, state.message, state.resolved_at = False, False, condition.message, utcnow()
        if state is not None and not state.delivered:
            status = AlertStatus.firing if state.active else AlertStatus.resolved
            notices.append(Notice(key=state.key, status=status, message=state.message))
    session.flush()
    return notices


def send(notice: Notice, *, settings: Settings) -> Delivery:
    """Post the notice to every webhook and email it to every address; collect what failed."""
    errors = []
    for url in _split(settings.alert_webhooks):
        try:
            response = httpx.post(url, json={"text": notice.text}, timeout=settings.alert_timeout_s)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            errors.append(f"webhook {httpx.URL(url).host}: {exc}")
    recipients = _split(settings.alert_email_to)
    if recipients:
        try:
            _email(notice, recipients=recipients, settings=settings)
        except (OSError, smtplib.SMTPException) as exc:
            errors.append(f"email via {settings.smtp_host}:{settings.smtp_port}: {exc}")
    if errors:
        log.error("alert not delivered everywhere", key=notice.key, errors=errors)
    else:
        log.info("alert sent", key=notice.key, status=notice.status.value)
    return Delivery(notice=notice, errors=errors)


def _email(notice: Notice, *, recipients: list[str], settings: Settings) -> None:
    if not settings.smtp_host:
        raise smtplib.SMTPException("GLANCE_SMTP_HOST is not set")
    message = EmailMessage()
    message["Subject"] = notice.text[:200]
    message["From"] = settings.alert_email_from
    message["To"] = ", ".join(recipients)
    message.set_content(f"{notice.text}\n\nalert: {notice.key}\nat: {utcnow():%Y-%m-%d %H:%M:%S %Z}\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.alert_timeout_s) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username and settings.smtp_password is not None:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
