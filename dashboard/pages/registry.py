"""The pages, in one table: each key's page class and the least role that may open it.

Navigation (which buttons a session gets), routing (which class a key builds) and role checks
(which keys a session may open) all read this table and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.pages.base import Page
from dashboard.pages.glance import GlancePage
from dashboard.pages.imports import ImportsPage
from dashboard.pages.ops import OpsPage
from dashboard.pages.pnl import PnlPage
from dashboard.pages.profile import ProfilePage
from dashboard.pages.sales import SalesPage
from services.auth import Role


@dataclass(frozen=True)
class PageEntry:
    """One page: the class that builds it and the least role that may open it."""

    page: type[Page]
    role: Role


PAGES: dict[str, PageEntry] = {
    "glance": PageEntry(GlancePage, Role.viewer),
    "sales": PageEntry(SalesPage, Role.viewer),
    "pnl": PageEntry(PnlPage, Role.viewer),
    "imports": PageEntry(ImportsPage, Role.analyst),
    "ops": PageEntry(OpsPage, Role.admin),
    "profile": PageEntry(ProfilePage, Role.viewer),
}
"""Every page, in navigation order."""
HOME = "glance"
"""The page a session opens on, and where a refused page sends it."""


def pages_for(role: Role) -> list[str]:
    """The keys of the pages `role` may open, in navigation order."""
    return [key for key, entry in PAGES.items() if role.allows(entry.role)]
