"""The status banner: overall health in words, colour and icon, first thing on the home page."""

from __future__ import annotations

import html

import panel as pn

from dashboard.formatting import Formatter
from dashboard.text import Translator
from dashboard.views.notices import html_pane, notice_html, skeleton_html
from db.queries import Health, Scorecard, Status

ICONS = {
    Status.ON_TRACK: "✔",
    Status.WATCH: "⚠",
    Status.OFF_TRACK: "✖",
    Status.NO_TARGET: "○",
    Status.NO_DATA: "○",
}


def headline(health: Health, tr: Translator) -> str:
    """The banner sentence: `Health.headline()` itself in English, the same parts translated otherwise."""
    if tr.language == "en":
        return health.headline()
    status = tr(f"status.{health.status.value}")
    if health.status is Status.NO_DATA:
        return tr("health.no_data", status=status)
    if health.status is Status.NO_TARGET:
        return tr("health.no_target", status=status)
    if not health.off_target:
        return tr("health.all_on_target", status=status, count=health.total - health.no_target)
    details = ", ".join(
        f"{tr(f'metric.{o.metric.value}')} ({', '.join(o.territories)})"
        if o.territories
        else tr(f"metric.{o.metric.value}")
        for o in health.offenders
    )
    return tr("health.off_target", status=status, count=health.off_target, total=health.total, details=details)


class Banner(pn.viewable.Viewer):
    """One HTML model, updated in place."""

    def __init__(self, *, tr: Translator, fmt: Formatter) -> None:
        super().__init__()
        self._tr = tr
        self._fmt = fmt
        self._pane = html_pane(skeleton_html(tr("state.loading")), css_classes=["glance-banner"])

    def loading(self) -> None:
        self._pane.object = skeleton_html(self._tr("state.loading"))

    def fill(self, card: Scorecard) -> None:
        """Render the scorecard's health for its period."""
        status = card.health.status
        period = self._tr("period.range", start=self._fmt.day(card.period.start), end=self._fmt.day(card.period.end))
        scope = f" · {html.escape(card.territory)}" if card.territory else ""
        self._pane.object = (
            f'<div class="glance banner {status.value}" role="status" data-status="{status.value}">'
            f'<span class="icon" aria-hidden="true">{ICONS[status]}</span>'
            f'<span><span class="headline">{html.escape(headline(card.health, self._tr))}</span>'
            f'<span class="period">{period}{scope}</span></span></div>'
        )

    def notice(self, text: str, kind: str = "info") -> None:
        self._pane.object = notice_html(text, kind)

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
