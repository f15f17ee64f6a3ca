"""People and territories (on the Ops page, for admins who see every territory): who sees what, set it, view as."""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlencode

import panel as pn
import structlog
from sqlalchemy.exc import SQLAlchemyError

from dashboard.identity import territories_text
from dashboard.pages.base import PageContext
from dashboard.views.notices import html_pane, notice_html
from dashboard.views.tables import Column, Table
from db.scope import Scope, ScopeError
from services.auth import AccountError, UserAccess, list_users, set_user_scope
from services.runtime.database import session_scope

log = structlog.get_logger(__name__)
PEOPLE_COLUMNS = (
    Column("username", "text"),
    Column("name", "text"),
    Column("role", "text"),
    Column("territories", "text"),
)


@dataclass(frozen=True)
class PersonRow:
    """A person as the table shows them: role and territories in words."""

    username: str
    name: str
    role: str
    territories: str


def read_territories(text: str) -> Scope:
    """An admin's entry: `*` for every territory, `UK,IE` for those, nothing at all for none (raises ScopeError)."""
    return Scope.only([]) if not text.strip() else Scope.parse(text)


def view_as_url(username: str) -> str:
    """The address that opens the dashboard as `username` (honoured for admins who see every territory only)."""
    return "/?" + urlencode({"as": username})


class PeopleSection(pn.viewable.Viewer):
    """The people table, and setting one person's territories; read only while viewing as someone."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        tr = ctx.tr
        self.found: list[UserAccess] = []
        self.table = Table(PEOPLE_COLUMNS, tr, ctx.fmt, loading_text=tr("state.loading"), on_click=self.pick_row)
        self.person = pn.widgets.Select(label=tr("people.user"), options={}, sizing_mode="stretch_width")
        self.territories = pn.widgets.TextInput(
            label=tr("people.territories"), placeholder="UK,IE", sizing_mode="stretch_width"
        )
        self.save_button = pn.widgets.Button(label=tr("people.save"), color="primary")
        self.territories.disabled = self.save_button.disabled = ctx.read_only
        self.result = html_pane("")
        self.view_as_link = html_pane("")
        self.person.param.watch(lambda event: self.pick(event.new), "value")
        self.save_button.on_click(lambda _event: self.save())
        self._layout = pn.Column(
            pn.pane.Markdown(f"### {tr('people.title')}"),
            self.table,
            pn.Row(self.person, self.territories, sizing_mode="stretch_width"),
            html_pane(f'<p class="glance hint">{html.escape(tr("people.hint"))}</p>'),
            self.save_button,
            self.result,
            self.view_as_link,
            sizing_mode="stretch_width",
        )

    def load(self) -> None:
        """Read the active people and their territories, keeping the chosen person chosen."""
        with session_scope(self.ctx.engine) as session:
            self.found = [person for person in list_users(session) if person.active]
        tr = self.ctx.tr
        self.table.fill(
            [
                PersonRow(
                    username=p.username,
                    name=p.display_name,
                    role=tr(f"role.{p.role}"),
                    territories=territories_text(p.scope, tr),
                )
                for p in self.found
            ]
        )
        chosen = self.person.value
        self.person.options = {f"{p.display_name or p.username} ({p.username})": p.username for p in self.found}
        if chosen not in self.person.options.values() and self.found:
            self.person.value = self.found[0].username
        self.pick(self.person.value)

    def pick_row(self, row: int) -> None:
        """A click on a person's row chooses them for editing."""
        if 0 <= row < len(self.found):
            self.person.value = self.found[row].username

    def pick(self, username: str | None) -> None:
        """Show the chosen person's territories as text to edit, and the link to view as them."""
        person = next((p for p in self.found if p.username == username), None)
        self.result.object = ""
        if person is None:
            self.territories.value = ""
            self.view_as_link.object = ""
            return
        self.territories.value = person.scope.text()
        label = html.escape(self.ctx.tr("view_as.link", name=person.display_name or person.username))
        href = html.escape(view_as_url(person.username))
        self.view_as_link.object = f'<a class="glance view-as-link" href="{href}">{label}</a>'

    def save(self) -> None:
        """Check the text, store the chosen person's territories, and say what they now see."""
        tr = self.ctx.tr
        if self.ctx.read_only or not self.ctx.user.manages_people:
            self.result.object = notice_html(tr("view_as.read_only", name=self.ctx.user.name), "error")
            return
        username = self.person.value or ""
        try:
            scope = read_territories(self.territories.value or "")
        except ScopeError as exc:
            self.result.object = notice_html(tr("people.bad", problem=str(exc)), "error")
            return
        try:
            with session_scope(self.ctx.engine) as session:
                set_user_scope(session, username=username, scope=scope)
        except AccountError as exc:
            self.result.object = notice_html(tr("people.unknown", problem=str(exc)), "error")
            return
        except SQLAlchemyError:
            self.result.object = notice_html(tr("state.db_down"), "error")
            return
        log.info("scope_set", admin=self.ctx.user.username, user=username, territories=scope.text())
        self.load()
        self.result.object = notice_html(
            self._saved_text(username, scope), "warn" if scope.territories == () else "info"
        )

    def _saved_text(self, username: str, scope: Scope) -> str:
        tr = self.ctx.tr
        if scope.territories == ():
            return tr("people.saved_none", name=username)
        saved = tr("people.saved", name=username, territories=territories_text(scope, tr))
        known = set(self.ctx.store.dimensions().territories)
        unknown = [name for name in scope.territories or () if name not in known]
        return f"{saved} {tr('people.no_data_yet', names=', '.join(unknown))}" if unknown else saved

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
