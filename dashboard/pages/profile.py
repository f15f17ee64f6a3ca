"""Profile: who you are, your role and territories, since when, the language you read in, and a password change."""

from __future__ import annotations

import panel as pn
from sqlalchemy.exc import SQLAlchemyError

from dashboard.identity import territories_text
from dashboard.pages.base import Page, Part, Step
from dashboard.text import LANGUAGE_NAMES
from dashboard.views.notices import html_pane, kv_table, notice_html
from services.auth import authenticate, set_language, set_password
from services.runtime.database import session_scope

MIN_PASSWORD = 10


class ProfilePage(Page):
    """Name, role, territories, member since (a date), language and change password; all read only while viewing as."""

    def build(self) -> list[Part]:
        tr, user = self.ctx.tr, self.ctx.user
        facts = html_pane(
            kv_table(
                [
                    (tr("profile.name"), user.name),
                    (tr("profile.username"), user.username),
                    (tr("profile.role"), tr(f"role.{user.role.value}")),
                    (tr("profile.territories"), territories_text(user.scope, tr)),
                    (tr("profile.member_since"), self.ctx.fmt.day(user.member_since)),
                ]
            )
        )
        choices = {tr("profile.language_browser"): "", **{name: code for code, name in LANGUAGE_NAMES.items()}}
        saved = user.language[:2].lower()
        self.language = pn.widgets.Select(
            label=tr("profile.language"), options=choices, value=saved if saved in LANGUAGE_NAMES else ""
        )
        self.language.param.watch(lambda event: self.choose_language(event.new), "value")
        self.language_result = html_pane("")
        self.current = pn.widgets.PasswordInput(label=tr("profile.current_password"))
        self.new = pn.widgets.PasswordInput(label=tr("profile.new_password"))
        self.change = pn.widgets.Button(label=tr("profile.change_password"), color="primary")
        self.change.on_click(lambda _event: self.change_password())
        self.result = html_pane("")
        for widget in (self.language, self.current, self.new, self.change):
            widget.disabled = self.ctx.read_only
        read_only = html_pane(notice_html(tr("view_as.read_only", name=user.name), "warn"), visible=self.ctx.read_only)
        return [
            read_only,
            facts,
            self.language,
            self.language_result,
            pn.pane.Markdown(f"### {tr('profile.change_password')}"),
            self.current,
            self.new,
            self.change,
            self.result,
        ]

    def steps(self) -> list[Step]:
        return []

    def refresh(self, *, first: int = 0) -> None:
        """Nothing to load: the facts came with the session."""

    def choose_language(self, language: str) -> None:
        """Store the language ("" for the browser's), then reload so every text on screen switches to it."""
        if self.refused():
            return
        try:
            with session_scope() as session:
                set_language(session, username=self.ctx.user.username, language=language)
        except SQLAlchemyError:
            self.language_result.object = notice_html(self.ctx.tr("state.db_down"), "error")
            return
        self.language_result.object = notice_html(self.ctx.tr("profile.saved"))
        # The session's text is fixed when it is built; a reload builds one in the new language, on this page.
        if pn.state.location is not None:
            pn.state.location.reload = True

    def refused(self) -> bool:
        """True (and said) while an admin views this profile as its owner: it is theirs to change, not the admin's."""
        if self.ctx.read_only:
            self.result.object = notice_html(self.ctx.tr("view_as.read_only", name=self.ctx.user.name), "error")
        return self.ctx.read_only

    def change_password(self) -> None:
        """Check the current password, then store the new one (argon2)."""
        tr = self.ctx.tr
        if self.refused():
            return
        new = self.new.value_input or self.new.value or ""
        if len(new) < MIN_PASSWORD:
            self.result.object = notice_html(tr("profile.password_short"), "warn")
            return
        current = self.current.value_input or self.current.value or ""
        try:
            with session_scope() as session:
                if authenticate(session, username=self.ctx.user.username, password=current) is None:
                    self.result.object = notice_html(tr("profile.password_wrong"), "error")
                    return
                set_password(session, username=self.ctx.user.username, password=new)
        except SQLAlchemyError:
            self.result.object = notice_html(tr("state.db_down"), "error")
            return
        self.current.value = self.new.value = ""
        self.result.object = notice_html(tr("profile.password_changed"))
