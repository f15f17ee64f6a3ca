"""What every page shares: its context, progressive loading in steps, and errors turned into notices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import TypeAlias

import panel as pn
import param
import structlog
from sqlalchemy import Engine

from dashboard.formatting import Formatter
from dashboard.identity import SessionUser, territories_text
from dashboard.store import DataStore, DataUnavailable
from dashboard.sync_client import SyncClient
from dashboard.text import Translator
from dashboard.views.notices import html_pane, notice_html
from services.runtime.settings import Settings

log = structlog.get_logger(__name__)
RETRY_MS = 5000

Step = Callable[[], None]
Part: TypeAlias = "pn.viewable.Viewable | pn.viewable.Viewer"
"""One of a page's parts: a Panel object, or one of our views (a `Viewer`, which Panel renders via `__panel__`)."""


class Blank(Enum):
    """Why a page of figures shows none."""

    NO_TERRITORIES = "no_territories"
    """The account may see no territory at all."""
    NOT_YOURS = "not_yours"
    """The territory filter (from a link) names a territory outside the account's."""
    NO_DATA = "no_data"
    """The database holds no sales yet."""


@dataclass
class PageContext:
    """What a page needs: the session's store, user, language, formatter, services, and a way to navigate.

    `user` is whose dashboard this is (role and territories); `viewed_by` is the admin looking at it
    through "view as", in which case nothing may be changed.
    """

    store: DataStore
    user: SessionUser
    tr: Translator
    fmt: Formatter
    navigate: Callable[[str], None]
    client: SyncClient
    engine: Engine
    settings: Settings
    viewed_by: SessionUser | None = None
    has_data: bool = True

    @property
    def read_only(self) -> bool:
        """True while an admin views the dashboard as someone else: every action is refused."""
        return self.viewed_by is not None

    def blank(self) -> Blank | None:
        """Why figures cannot be shown now, or None when they can."""
        if self.store.no_territories:
            return Blank.NO_TERRITORIES
        if self.store.refused_territory is not None:
            return Blank.NOT_YOURS
        if not self.has_data:
            return Blank.NO_DATA
        return None

    def blank_text(self, blank: Blank) -> str:
        """What a page of figures says instead of them."""
        match blank:
            case Blank.NO_TERRITORIES:
                return self.tr("scope.none")
            case Blank.NOT_YOURS:
                territory = self.store.refused_territory or ""
                return self.tr("scope.not_yours", territory=territory, yours=territories_text(self.user.scope, self.tr))
            case Blank.NO_DATA:
                return self.tr("state.empty_viewer")


class Page(pn.viewable.Viewer):
    """A page: `build()` once, then `refresh()` runs its steps, each shown as soon as it is done."""

    needs_data = True
    """Pages of figures show the empty state on an empty database."""
    first_paint = 1
    """How many steps belong in the first page the browser receives."""
    visible = param.Boolean(default=True, doc="Whether the page is the one on screen")

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.status = html_pane("", visible=False)
        self._generation = 0
        self._retry: pn.io.callbacks.PeriodicCallback | None = None
        self._layout = pn.Column(self.status, *self.build(), sizing_mode="stretch_width")
        self._layout.visible = self.param.visible.rx()

    def build(self) -> list[Part]:
        """The page's parts, created once."""
        raise NotImplementedError

    def steps(self) -> list[Step]:
        """The loading steps, most important first."""
        raise NotImplementedError

    def empty(self, blank: Blank) -> None:
        """Show no figures, and why; pages of figures override to blank their parts."""

    def refresh(self, *, first: int = 0) -> None:
        """Reload every part for the current filters, step by step.

        The `first` steps run now, so while a session is being created they land in the page the
        browser receives; the rest follow once the page has loaded (`pn.state.onload`), one per tick.
        """
        self._generation += 1
        generation = self._generation
        self.status.visible = False
        blank = self.ctx.blank() if self.needs_data else None
        if blank is not None:
            self.empty(blank)
            return
        steps = [partial(self._guarded, step, generation) for step in self.steps()]
        for step in steps[:first]:
            if not step():
                return
        if first and steps[first:] and in_session():
            pn.state.onload(partial(run_steps, steps[first:]))
        else:
            run_steps(steps[first:])

    def pause(self) -> None:
        """Stop loading: the page is leaving the screen, and updating detached plots breaks the browser's view."""
        self._generation += 1

    def _guarded(self, step: Step, generation: int) -> bool:
        if generation != self._generation:
            return False  # the filters changed while loading: a newer refresh is running
        try:
            step()
        except DataUnavailable as exc:
            log.warning("database_unavailable", page=type(self).__name__, error=str(exc))
            self.show_status(self.ctx.tr("state.db_down"), "warn")
            self._schedule_retry()
            return False
        except Exception as exc:  # the page edge: a short message for people, the details to the log
            log.exception("page_step_failed", page=type(self).__name__, step=getattr(step, "__name__", repr(step)))
            self.show_status(self.ctx.tr("state.error", problem=type(exc).__name__), "error")
            return False
        return True

    def show_status(self, text: str, kind: str) -> None:
        self.status.object = notice_html(text, kind)
        self.status.visible = True

    def _schedule_retry(self) -> None:
        if self._retry is not None or not in_session():
            return

        def retry() -> None:
            self._retry = None
            self.refresh()

        self._retry = pn.state.add_periodic_callback(retry, period=RETRY_MS, count=1)

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout


def run_steps(steps: Sequence[Callable[[], bool]]) -> None:
    """Run steps one per event-loop tick, so each part reaches the browser before the next starts.

    Outside a server session (tests) the steps simply run in order.
    """
    doc = pn.state.curdoc
    if not steps:
        return
    if doc is None or not in_session():
        for step in steps:
            if not step():
                return
        return

    def run(index: int) -> None:
        if steps[index]() and index + 1 < len(steps):
            doc.add_next_tick_callback(partial(run, index + 1))

    doc.add_next_tick_callback(partial(run, 0))


def in_session() -> bool:
    """True inside a served browser session (false in tests that drive pages directly)."""
    doc = pn.state.curdoc
    return doc is not None and doc.session_context is not None
