"""Short messages in place of a part that cannot show: loading, empty, unavailable, failed."""

from __future__ import annotations

import html

import panel as pn

from dashboard.assets import asset_url


def stylesheets() -> list[str]:
    """Glance's CSS for a component's shadow root (content-hashed, cached forever)."""
    return [asset_url("glance.css")]


def notice_html(text: str, kind: str = "info") -> str:
    """A notice box; `kind` is info, warn, error or stale."""
    role = "alert" if kind in ("error", "stale") else "status"
    return f'<div class="glance notice {kind}" role="{role}">{html.escape(text)}</div>'


def skeleton_html(text: str) -> str:
    """The loading placeholder shown until a part has its data."""
    return f'<div class="glance skeleton" aria-busy="true">{html.escape(text)}</div>'


def html_pane(content: str = "", **params: object) -> pn.pane.HTML:
    """An HTML pane that carries Glance's stylesheet."""
    return pn.pane.HTML(content, stylesheets=stylesheets(), sizing_mode="stretch_width", **params)


def kv_table(rows: list[tuple[str, str]]) -> str:
    """A two-column table of names and values."""
    body = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="glance kv">{body}</table>'
