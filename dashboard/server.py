"""Serve the dashboard with Panel's server: sign-in, one app per tab, assets, ops endpoints."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlparse

import panel as pn
import structlog
from panel.io.location import Location
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from dashboard.app import HEADER_COLOUR, STORE_URL_PARAMS, GlanceApp
from dashboard.assets import asset_patterns, asset_url
from dashboard.endpoints import extra_patterns
from dashboard.identity import SessionUser, ViewAsRefused, load_user, view_as
from dashboard.login import GlanceAuthProvider
from dashboard.system import source_check
from dashboard.template import GlanceTemplate, drop_mathjax
from dashboard.text import Translator, choose_language
from dashboard.views.notices import html_pane, notice_html
from services.runtime.database import get_engine
from services.runtime.secret_files import stored_secret
from services.runtime.security_headers import DashboardSecurityHeaders
from services.runtime.settings import Settings, get_settings

log = structlog.get_logger(__name__)
RETRY_MS = 5000
VIEW_AS_PARAM = "as"
"""`?as=USERNAME`: an admin who sees every territory opens the dashboard as that user, read only."""

drop_mathjax()


def _unavailable(tr: Translator, text: str) -> GlanceTemplate:
    """A page that says what is wrong and reloads itself once the database answers again."""

    def retry() -> None:
        try:
            with Session(get_engine()) as session:
                load_user(session, username=pn.state.user or "")
        except OperationalError:
            return
        # Panel types `location` as optional; this callback is scheduled only in a served session, which has one.
        cast(Location, pn.state.location).reload = True

    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.add_periodic_callback(retry, period=RETRY_MS)
    return GlanceTemplate(title="Glance", main=[html_pane(notice_html(text, "warn"))], header_background=HEADER_COLOUR)


def _view_as_name() -> str:
    """The username the address asks to view as ("" when it asks for none)."""
    values = pn.state.session_args.get(VIEW_AS_PARAM) or []
    return values[0].decode("utf-8", "replace").strip() if values else ""


def create_session() -> pn.viewable.Viewable | GlanceTemplate:
    """Build one browser tab's app for the signed-in user (or, for an admin's `?as=NAME`, as that user)."""
    settings = get_settings()
    pn.extension("tabulator", js_files={"glance": asset_url("glance.js")})
    # Panel allows a list per header; the request headers of a session come from Tornado, one string each.
    accept_language = cast(str | None, pn.state.headers.get("Accept-Language"))
    tr = Translator(choose_language(None, accept_language))
    wanted = _view_as_name()
    target: SessionUser | None = None
    refusal: ViewAsRefused | None = None
    try:
        with Session(get_engine()) as session:
            user: SessionUser | None = load_user(session, username=pn.state.user or "")
            if user is not None and wanted:
                try:
                    target = view_as(session, admin=user, username=wanted)
                except ViewAsRefused as exc:
                    refusal = exc
    except OperationalError as exc:
        log.warning("database_unavailable", error=str(exc.orig or exc).splitlines()[0])
        return _unavailable(tr, tr("state.db_down"))
    if user is None:
        # The cookie names a user who was removed or deactivated since signing in.
        return pn.pane.HTML(f'<p>{tr("login.failed")} <a href="/logout">{tr("login.again")}</a></p>')
    app = GlanceApp(
        user=target or user,
        viewed_by=user if target else None,
        settings=settings,
        engine=get_engine(),
        accept_language=accept_language,
    )
    if refusal is not None:
        app.say(app.tr(refusal.reason, username=refusal.username), "error")
    if pn.state.location is not None:
        # Before the widgets exist, so they are created showing the filters the URL asks for.
        pn.state.location.sync(app, {"page": "page"})
        pn.state.location.sync(app.store, STORE_URL_PARAMS)
    # The banner and cards are computed now (from the shared cache, usually) so they arrive with the
    # page itself instead of one more round trip after it; charts follow via `pn.state.onload`.
    app.load()
    return app.template()


def allowed_origins(settings: Settings, *, host: str, port: int) -> list[str]:
    """Websocket origins: this host and port, localhost, and the public URL if one is set."""
    origins = {f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"}
    if settings.public_url:
        origins.add(urlparse(settings.public_url).netloc)
    return sorted(origins)


def cookie_secret(settings: Settings) -> str:
    """`GLANCE_SECRET_KEY`, or a random key kept in the data dir (embedded use)."""
    if settings.secret_key:
        return settings.secret_key.get_secret_value()
    return stored_secret(settings.data_dir.resolve() / "secret_key")


def serve_dashboard(settings: Settings, *, host: str, port: int) -> None:
    """Run the Panel server in the foreground."""
    check = source_check()
    if not check.ok:
        log.error("source_mismatch", detail=check.describe())
    pn.serve(
        {"/": create_session},
        address=host,
        port=port,
        show=False,
        liveness=True,
        title="Glance",
        websocket_origin=allowed_origins(settings, host=host, port=port),
        auth_provider=GlanceAuthProvider(),
        cookie_secret=cookie_secret(settings),
        extra_patterns=[*asset_patterns(), *extra_patterns()],
        num_procs=settings.dashboard_num_procs,
        transforms=[DashboardSecurityHeaders],
    )
