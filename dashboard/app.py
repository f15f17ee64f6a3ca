"""One Glance session: the template, sidebar navigation, pages switched in place, URL in sync.

Built once per browser tab. Roles are enforced here, on the server: a page a role may not see
is never built for that session, whatever the URL asks for. Territories are enforced by the
session's DataStore, made with the user's scope. While an admin views the dashboard as someone
else, the session has that person's role and territories and every action is refused.
"""

from __future__ import annotations

import html
from datetime import date

import panel as pn
import param
from sqlalchemy import Engine

from dashboard.assets import asset_url
from dashboard.formatting import Formatter, locale_for
from dashboard.identity import SessionUser, territories_text
from dashboard.pages.base import Page, PageContext, Part
from dashboard.pages.registry import HOME, PAGES, pages_for
from dashboard.store import DataStore, DataUnavailable
from dashboard.sync_client import SyncClient
from dashboard.system import build, cache_degraded, source_check
from dashboard.template import GlanceTemplate
from dashboard.text import Translator, choose_language
from dashboard.views.notices import html_pane, notice_html
from services import __version__
from services.runtime.settings import Settings

SYSTEM_CHECK_MS = 15_000
"""How often an open tab re-checks the cache for its status note (one bounded ping)."""
HEADER_COLOUR = "#0072B5"
STORE_URL_PARAMS = {
    "period": "period",
    "start": "from",
    "end": "to",
    "territory": "territory",
    "channel": "channel",
    "category": "category",
}


class GlanceApp(pn.viewable.Viewer):
    """The session's app: which page is shown, and the layout that shows it."""

    page: param.Selector[str] = param.Selector(default=HOME, objects=list(PAGES), check_on_set=False)

    def __init__(
        self,
        *,
        user: SessionUser,
        settings: Settings,
        engine: Engine,
        viewed_by: SessionUser | None = None,
        accept_language: str | None = None,
        today: date | None = None,
    ) -> None:
        """A session for `user` (their role and territories); `viewed_by` is the admin viewing as them, read only."""
        super().__init__()
        self.user = user
        self.viewed_by = viewed_by
        # The one looking chooses the language: an admin viewing as someone reads their own.
        language = choose_language((viewed_by or user).language, accept_language)
        self.tr = tr = Translator(language)
        self.fmt = Formatter(locale=locale_for(language, accept_language), currency=settings.reporting_currency)
        self.store = DataStore(
            engine=engine, scope=user.scope, thresholds=settings.health_thresholds, tr=tr, today=today
        )
        self.ctx = PageContext(
            store=self.store,
            user=user,
            tr=tr,
            fmt=self.fmt,
            navigate=self.go,
            client=SyncClient.from_settings(settings).acting_for(user.username),
            engine=engine,
            settings=settings,
            viewed_by=viewed_by,
        )
        self.pages: dict[str, Page] = {}
        self._ready = False
        self._refused = False
        self.allowed = pages_for(user.role)
        self.main = pn.Column(sizing_mode="stretch_width")
        self.notice = html_pane("", visible=False)
        self._database_ok = True
        self.system = html_pane(self._system_html(ok=True))
        self.footer = html_pane("")
        self.nav = pn.widgets.RadioButtonGroup(
            options={tr(f"page.{key}"): key for key in self.allowed},
            value=HOME,
            orientation="vertical",
            color="light",
            sizing_mode="stretch_width",
        )
        self.nav.link(self, value="page", bidirectional=True)
        # After the URL and nav watchers, so a refused page's redirect to home is the last word in the URL.
        self.param.watch(lambda _event: self.show_page(), "page", precedence=1)
        self.store.param.watch(lambda _event: self.filters_changed(), list(STORE_URL_PARAMS))

    def go(self, key: str) -> None:
        """Switch to a page (if this user may see it)."""
        self.page = key

    def page_object(self, key: str) -> Page:
        """The page for `key` (one this session may open), built on first visit and kept for the session."""
        if key not in self.pages:
            self.pages[key] = PAGES[key].page(self.ctx)
        return self.pages[key]

    def show_page(self, *, first_paint: bool = False) -> None:
        """Show the chosen page, or refuse a page this role may not see and show the home page."""
        key = self.page
        if key not in self.allowed:
            name = self.tr(f"page.{key}") if key in PAGES else key
            role = self.tr(f"role.{self.user.role.value}")
            self.say(self.tr("nav.denied", role=role, page=name), "error")
            self._refused = True
            self.page = HOME
            return
        if key != HOME:
            self.notice.visible = False
        if not self._ready:
            return
        page = self.page_object(key)
        if page not in self.main.objects:
            self.main.append(page)
        # Hidden pages stay in the document: a late update to a removed Tabulator breaks it in the browser.
        for other in self.pages.values():
            if other is not page:
                other.pause()
            other.visible = other is page
        page.refresh(first=page.first_paint if first_paint else 0)

    def say(self, text: str, kind: str) -> None:
        """A notice above the page (until another page is opened): a refused page or "view as"."""
        self.notice.object = notice_html(text, kind)
        self.notice.visible = True

    def filters_changed(self) -> None:
        """New filters: refresh the visible page; the others refresh when next shown."""
        if self._ready and self.page in self.pages:
            self.pages[self.page].refresh()

    def load(self) -> None:
        """First load, while the session is created: what the data holds, then the page's first parts."""
        try:
            found = self.store.dimensions()
        except DataUnavailable:
            self._database_ok = False
            self.system.object = self._system_html(ok=False)
            self.ctx.has_data = True  # the page itself will say the database is down and retry
        else:
            self.store.set_choices(found)
            self.ctx.has_data = found.last_day is not None
            as_of = self.fmt.moment(found.last_import_at) if found.last_import_at else self.tr("footer.never")
            revision = build().commit[:12]
            footer = self.tr("footer", version=__version__, revision=revision, as_of=as_of)
            self.footer.object = f'<div class="glance footer">{html.escape(footer)}</div>'
        self._ready = True
        self.show_page(first_paint=True)
        if self._refused:
            pn.state.onload(self._fix_address)
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.add_periodic_callback(self.refresh_system, period=SYSTEM_CHECK_MS)

    def refresh_system(self) -> None:
        """Redraw the status note if the cache's state changed: an open tab learns of an outage and its end."""
        drawn = self._system_html(ok=self._database_ok)
        if self.system.object != drawn:
            self.system.object = drawn

    def _fix_address(self) -> None:
        """A refused page in the link: once the browser is connected, make its address say where it is."""
        if pn.state.location is not None:
            pn.state.location.update_query(page=self.page)

    def _system_html(self, *, ok: bool) -> str:
        if not ok:
            return f'<div class="glance system down" role="status">{self.tr("system.down")}</div>'
        if cache_degraded():
            return f'<div class="glance system degraded" role="status">{self.tr("state.degraded")}</div>'
        return f'<div class="glance system ok" role="status">{self.tr("system.ok")}</div>'

    def sidebar(self) -> list[Part]:
        """User card (name, role, territories), sections, filters, system status and sign-out."""
        tr, user = self.tr, self.user
        territories = f"{tr('scope.label')}: {territories_text(user.scope, tr)}"
        card = html_pane(
            f'<div class="glance user-card"><div class="name">{html.escape(user.name)}</div>'
            f'<div class="role">{tr(f"role.{user.role.value}")}</div>'
            f'<div class="territories">{html.escape(territories)}</div>'
            f'<a href="/logout">{tr("logout")}</a></div>'
        )
        return [card, pn.pane.Markdown(f"**{tr('nav.title')}**"), self.nav, self.store, self.system]

    def view_as_banner(self) -> pn.viewable.Viewable | None:
        """While viewing as someone: whose view this is, that it is read only, and the way back."""
        if self.viewed_by is None:
            return None
        tr, user = self.tr, self.user
        text = tr("view_as.banner", name=user.name, territories=territories_text(user.scope, tr))
        return html_pane(
            f'<div class="glance notice view-as" role="status">{html.escape(text)} '
            f'<a href="/?page=ops">{html.escape(tr("view_as.back"))}</a></div>'
        )

    def stale_code_banner(self) -> pn.viewable.Viewable | None:
        """A red banner when the code on disk differs from the release it claims to be."""
        check = source_check()
        if check.ok:
            return None
        return html_pane(notice_html(self.tr("state.stale_code", release=check.release), "stale"))

    def template(self) -> GlanceTemplate:
        """The page shell, built once; only `main`'s contents change afterwards.

        The plain template rather than the FAST one: FAST's web components are 0.9 MB of JavaScript
        that every new tab downloads and parses before the banner can show.
        """
        banners = [banner for banner in (self.stale_code_banner(), self.view_as_banner()) if banner is not None]
        main = [*banners, self.notice, self.main, self.footer]
        return GlanceTemplate(
            title="Glance",
            sidebar=self.sidebar(),
            main=[pn.Column(*main, sizing_mode="stretch_width")],
            header_background=HEADER_COLOUR,
            sidebar_width=280,
            favicon=asset_url("favicon.svg"),
        )

    # Panel serves a template returned here, but types Viewer.__panel__ as returning a Viewable.
    def __panel__(self) -> GlanceTemplate:  # type: ignore[override]
        return self.template()
