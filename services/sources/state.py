"""Each source's standing between pulls: the `since` of its next pull and its run of failures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import SourceState
from db.types import utcnow


def source_state(session: Session, *, name: str) -> SourceState:
    """The stored state of `name` (a fresh, unsaved one for a source never pulled)."""
    return session.get(SourceState, name) or SourceState(name=name)


def record_success(session: Session, *, name: str, started_at: datetime) -> SourceState:
    """A good pull: the next one asks for rows since `started_at`, and the failure streak ends."""
    state = source_state(session, name=name)
    state.since = started_at
    state.last_attempt_at = state.last_success_at = utcnow()
    state.consecutive_failures = 0
    state.last_error = ""
    session.add(state)
    return state


def record_failure(session: Session, *, name: str, error: str) -> SourceState:
    """A failed pull: `since` stays, so the next good pull fetches everything missed."""
    state = source_state(session, name=name)
    state.last_attempt_at = utcnow()
    state.consecutive_failures += 1
    state.last_error = error
    session.add(state)
    return state


def all_states(session: Session) -> dict[str, SourceState]:
    """Every stored source state by name."""
    return {state.name: state for state in session.execute(select(SourceState)).scalars()}
