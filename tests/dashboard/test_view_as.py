"""View as: an admin who sees every territory opens the dashboard as someone else, read only (SQLite and Postgres)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import panel as pn
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from structlog.testing import capture_logs

from dashboard.app import GlanceApp
from dashboard.identity import SessionUser, ViewAsRefused, load_user, view_as
from dashboard.pages.imports import ImportsPage
from dashboard.pages.ops import OpsPage
from dashboard.pages.profile import ProfilePage
from db.scope import Scope
from services.auth import Role, authenticate, create_user, get_user, scope_of, set_scope
from services.runtime.settings import Settings
from tests.dashboard.conftest import TODAY
from tests.factories import sale, store_sales_lines

PASSWORD = "correct horse battery"


def add_user(session: Session, username: str, *, role: Role, scope: Scope) -> SessionUser:
    """A stored user with `scope`, as the dashboard loads them at sign-in."""
    user = create_user(session, username=username, role=role, password=PASSWORD, display_name=username.title())
    set_scope(session, scope, user=user)
    session.commit()
    loaded = load_user(session, username=username)
    assert loaded is not None
    return loaded


@pytest.fixture
def people(session: Session) -> dict[str, SessionUser]:
    """An admin of every territory (root), and an admin, an analyst, a viewer and another admin of Avalon only."""
    store_sales_lines(
        session,
        [
            sale(territory="Avalon", order_date=date(2025, 1, 5), net_revenue="1000.00"),
            sale(territory="Zanzibar", order_date=date(2025, 1, 7), net_revenue="9000.00"),
        ],
    )
    avalon = Scope.only(["Avalon"])
    return {
        "root": add_user(session, "root", role=Role.admin, scope=Scope.everything()),
        "local_admin": add_user(session, "local_admin", role=Role.admin, scope=avalon),
        "ana": add_user(session, "ana", role=Role.analyst, scope=avalon),
        "vic": add_user(session, "vic", role=Role.viewer, scope=avalon),
        "ada": add_user(session, "ada", role=Role.admin, scope=avalon),
    }


def viewing_as(engine: Engine, settings: Settings, session: Session, admin: SessionUser, username: str) -> GlanceApp:
    """The session `admin` gets for `?as=username`."""
    target = view_as(session, admin=admin, username=username)
    app = GlanceApp(user=target, viewed_by=admin, settings=settings, engine=engine, today=TODAY)
    app.load()
    return app


def test_an_admin_viewing_as_a_user_gets_their_territories_and_role_and_the_start_is_logged(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, session: Session, people: dict[str, SessionUser]
) -> None:
    with capture_logs() as logs:
        app = viewing_as(backend_engine, glance_env, session, people["root"], "vic")

    assert app.store.scope == Scope.only(["Avalon"])
    assert list(app.nav.options.values()) == ["glance", "sales", "pnl", "profile"]  # a viewer's pages
    banner = app.view_as_banner()
    assert banner is not None
    assert "Viewing as Vic (territories: Avalon) — read only." in banner.object
    assert 'href="/?page=ops">Back to your own view</a>' in banner.object
    assert "Zanzibar" not in app.pages["glance"].territories._plot.object.data.to_csv()
    assert {"event": "view_as", "admin": "root", "target": "vic"}.items() <= logs[0].items()


@pytest.mark.parametrize("who", ["vic", "ana", "local_admin"])
def test_only_an_admin_of_every_territory_may_view_as_someone_else(
    session: Session, people: dict[str, SessionUser], who: str
) -> None:
    with capture_logs() as logs, pytest.raises(ViewAsRefused) as refused:
        view_as(session, admin=people[who], username="root")

    assert refused.value.reason == "view_as.not_admin"
    assert [entry["event"] for entry in logs] == ["view_as_refused"]


def test_viewing_as_someone_who_is_not_an_active_user_is_refused(
    session: Session, people: dict[str, SessionUser]
) -> None:
    with pytest.raises(ViewAsRefused) as refused:
        view_as(session, admin=people["root"], username="nobody")

    assert refused.value.reason == "view_as.unknown"


def test_while_viewing_as_no_password_or_language_can_be_changed(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, session: Session, people: dict[str, SessionUser]
) -> None:
    app = viewing_as(backend_engine, glance_env, session, people["root"], "ada")
    app.page = "profile"
    profile = app.pages["profile"]
    assert isinstance(profile, ProfilePage)
    assert profile.change.disabled and profile.language.disabled

    profile.current.value, profile.new.value = PASSWORD, "a brand new password"
    profile.change_password()
    profile.choose_language("vi")

    assert "Read only while viewing as Ada" in profile.result.object
    session.expire_all()
    assert authenticate(session, username="ada", password=PASSWORD) is not None
    ada = get_user(session, username="ada")
    assert ada is not None and ada.language == ""


def test_while_viewing_as_no_file_can_be_imported(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, session: Session, people: dict[str, SessionUser]
) -> None:
    app = viewing_as(backend_engine, glance_env, session, people["root"], "ana")
    app.page = "imports"
    imports = app.pages["imports"]
    assert isinstance(imports, ImportsPage)
    assert imports.upload_button.disabled and imports.file.disabled

    # A forged click reaches the handler anyway. In a thread of its own: a browser test earlier in the
    # session may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, imports._on_upload(None)).result(timeout=30)

    assert imports.report_pane.object == ""  # not even "choose a file first": nothing was attempted
    assert "Read only while viewing as Ana" in "".join(p.object for p in imports._layout.select(pn.pane.HTML))


def test_while_viewing_as_an_admin_no_territories_can_be_set(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, session: Session, people: dict[str, SessionUser]
) -> None:
    root = people["root"]
    set_scope(session, Scope.everything(), user=get_user(session, username="ada"))
    session.commit()
    app = viewing_as(backend_engine, glance_env, session, root, "ada")
    ops = OpsPage(app.ctx)
    assert ops.people is not None
    ops.people.load()
    assert ops.people.save_button.disabled

    ops.people.person.value = "vic"
    ops.people.territories.value = "*"
    ops.people.save()

    assert "Read only while viewing as Ada" in ops.people.result.object
    session.expire_all()
    vic = get_user(session, username="vic")
    assert vic is not None and scope_of(session, user=vic) == Scope.only(["Avalon"])
