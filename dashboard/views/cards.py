"""KPI cards in priority order: value, status in words, target, change and a sparkline."""

from __future__ import annotations

import html

import panel as pn

from dashboard.formatting import Formatter
from dashboard.text import Translator
from dashboard.views.banner import ICONS
from dashboard.views.notices import html_pane, skeleton_html
from db.queries import KpiCard, SparkPoint, TargetCoverage

SPARK_W, SPARK_H = 200, 32


def sparkline_svg(points: tuple[SparkPoint, ...]) -> str:
    """An inline SVG polyline: one element per card instead of a plot's dozens of models."""
    values = [float(p.value) for p in points if p.value is not None]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = SPARK_W / (len(values) - 1)
    coords = " ".join(
        f"{i * step:.1f},{SPARK_H - 2 - (v - low) / span * (SPARK_H - 4):.1f}" for i, v in enumerate(values)
    )
    return (
        f'<svg viewBox="0 0 {SPARK_W} {SPARK_H}" preserveAspectRatio="none" role="img" aria-label="trend">'
        f'<polyline points="{coords}"/></svg>'
    )


def coverage_text(coverage: TargetCoverage | None, metric_label: str, tr: Translator) -> str:
    """Why there is no target, or how much of the period a partial target covers; empty when it covers it all."""
    if coverage is None or coverage.complete:
        return ""
    if not coverage.months_covered:
        if coverage.territory is None:
            return tr("coverage.none")
        return tr("coverage.none_territory", metric=metric_label, territory=coverage.territory)
    months = coverage.months_covered < coverage.months_total
    territories = coverage.territories_covered < coverage.territories_total
    if months and territories:
        return tr(
            "coverage.both",
            months=coverage.months_covered,
            months_total=coverage.months_total,
            territories=coverage.territories_covered,
            territories_total=coverage.territories_total,
        )
    if months:
        return tr("coverage.months", covered=coverage.months_covered, total=coverage.months_total)
    return tr("coverage.territories", covered=coverage.territories_covered, total=coverage.territories_total)


def card_html(card: KpiCard, tr: Translator, fmt: Formatter) -> str:
    """One card's markup; `data-metric` lets tests and people find a KPI by name."""
    status = card.status.value
    label = tr(f"metric.{card.metric.value}")
    coverage = coverage_text(card.coverage, label, tr)
    if card.target is None:
        # The status line already says "No target": the line under it says why, once.
        target, coverage = (coverage[:1].upper() + coverage[1:]) if coverage else tr("card.no_target"), ""
    else:
        target = tr("card.target", value=fmt.metric(card.unit, card.target))
    change = (
        tr("card.change", change=fmt.change(card.change_pct)) if card.change_pct is not None else tr("card.no_prior")
    )
    return (
        f'<div class="card {status}" data-metric="{card.metric.value}">'
        f'<div class="label">{html.escape(label)}</div>'
        f'<div class="value" title="{html.escape(fmt.metric(card.unit, card.value, compact=False))}">'
        f"{html.escape(fmt.metric(card.unit, card.value))}</div>"
        f'<div class="status"><span aria-hidden="true">{ICONS[card.status]}</span> {tr(f"status.{status}")}</div>'
        f'<div class="meta">{html.escape(target)}</div>'
        + (f'<div class="meta coverage">{html.escape(coverage)}</div>' if coverage else "")
        + f'<div class="meta">{html.escape(change)}</div>'
        f"{sparkline_svg(card.spark)}</div>"
    )


class KpiCards(pn.viewable.Viewer):
    """All cards in one HTML model, updated in place."""

    def __init__(self, *, tr: Translator, fmt: Formatter) -> None:
        super().__init__()
        self._tr = tr
        self._fmt = fmt
        self._pane = html_pane(skeleton_html(tr("state.loading")), css_classes=["glance-cards"])

    def loading(self) -> None:
        self._pane.object = skeleton_html(self._tr("state.loading"))

    def fill(self, cards: tuple[KpiCard, ...]) -> None:
        """Render the cards, in the order given."""
        body = "".join(card_html(card, self._tr, self._fmt) for card in cards)
        self._pane.object = f'<div class="glance cards" data-loaded="true">{body}</div>'

    def clear(self) -> None:
        self._pane.object = ""

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
