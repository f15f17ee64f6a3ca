"""People and territories on the Ops page: an admin sets who sees which territories (SQLite and Postgres)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from dashboard.pages.ops import OpsPage
from dashboard.pages.people import PeopleSection
from dashboard.store import DataStore
from db.scope import Scope
from services.auth import Role, create_user, get_user, scope_of, set_scope
from services.runtime.settings import Settings
from tests.dashboard.conftest import make_context
from tests.factories import sale, store_sales_lines


@pytest.fixture
def section(store: DataStore, session: Session, glance_env: Settings) -> PeopleSection:
    """The people section of an admin who sees every territory, managing Bob (viewer of Avalon) and Cara (analyst)."""
    store_sales_lines(
        session,
        [sale(territory=name, order_date=date(2025, 1, 5)) for name in ("Avalon", "Camelot", "Zanzibar")],
    )
    bob = create_user(session, username="bob", role=Role.viewer, password="correct horse", display_name="Bob")
    set_scope(session, Scope.only(["Avalon"]), user=bob)
    cara = create_user(session, username="cara", role=Role.analyst, password="correct horse", display_name="Cara")
    set_scope(session, Scope.everything(), user=cara)
    session.commit()
    page = OpsPage(make_context(store, role=Role.admin))
    assert page.people is not None
    page.people.load()
    page.people.person.value = "bob"
    return page.people


def stored_scope(session: Session, username: str) -> Scope:
    session.expire_all()
    user = get_user(session, username=username)
    assert user is not None
    return scope_of(session, user=user)


def test_the_table_lists_each_person_with_role_and_territories(section: PeopleSection) -> None:
    rows = section.table.value

    assert list(rows.columns) == ["Username", "Name", "Role", "Territories"]
    assert rows[rows["Username"] == "bob"].iloc[0].tolist() == ["bob", "Bob", "Viewer", "Avalon"]
    assert section.territories.value == "Avalon"
    assert 'href="/?as=bob"' in section.view_as_link.object


def test_an_admin_sets_a_users_territories_and_the_table_shows_them(section: PeopleSection, session: Session) -> None:
    section.territories.value = "Avalon, Camelot"

    section.save()

    assert stored_scope(session, "bob") == Scope.only(["Avalon", "Camelot"])
    assert "Saved: bob now sees Avalon, Camelot." in section.result.object
    rows = section.table.value
    assert rows[rows["Username"] == "bob"].iloc[0]["Territories"] == "Avalon, Camelot"


def test_a_star_gives_every_territory(section: PeopleSection, session: Session) -> None:
    section.territories.value = "*"

    section.save()

    assert stored_scope(session, "bob") == Scope.everything()
    assert "Saved: bob now sees every territory." in section.result.object


@pytest.mark.parametrize("text", ["Avalon,,Camelot", "Avalon,*", ","])
def test_text_that_is_not_a_list_of_territories_is_refused_in_plain_words_naming_the_fix(
    section: PeopleSection, session: Session, text: str
) -> None:
    section.territories.value = text

    section.save()

    assert "Not saved:" in section.result.object
    assert "write * for every territory or the territories separated by commas, e.g. UK,IE" in section.result.object
    assert stored_scope(session, "bob") == Scope.only(["Avalon"])


def test_an_empty_list_is_saved_and_the_admin_is_told_the_user_now_sees_nothing(
    section: PeopleSection, session: Session
) -> None:
    section.territories.value = "  "

    section.save()

    assert stored_scope(session, "bob") == Scope.only([])
    assert "bob now has no territories and sees no figures at all" in section.result.object


def test_a_territory_with_no_data_yet_is_saved_with_a_note_to_check_the_spelling(
    section: PeopleSection, session: Session
) -> None:
    section.territories.value = "Avalon,Camleot"

    section.save()

    assert stored_scope(session, "bob") == Scope.only(["Avalon", "Camleot"])
    assert "No data holds Camleot yet: check the spelling" in section.result.object


def test_clicking_a_persons_row_chooses_them_for_editing(section: PeopleSection) -> None:
    usernames = list(section.table.value["Username"])

    section.pick_row(usernames.index("cara"))

    assert section.person.value == "cara"
    assert section.territories.value == "*"
    assert 'href="/?as=cara"' in section.view_as_link.object


def test_an_admin_limited_to_some_territories_cannot_manage_people(store: DataStore, glance_env: Settings) -> None:
    store.scope = Scope.only(["Avalon"])

    page = OpsPage(make_context(store, role=Role.admin))

    assert page.people is None
    assert "need an admin account that sees every territory" in str(page._layout.objects[-1].object)
