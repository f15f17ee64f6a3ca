"""Serve the dashboard with Panel's server (liveness endpoint on)."""

from __future__ import annotations

import panel as pn

from dashboard.endpoints import extra_patterns
from services.settings import Settings


def create_page() -> pn.viewable.Viewable:
    """A placeholder page until the full app lands."""
    return pn.pane.Markdown("# Glance")


def serve_dashboard(settings: Settings, *, host: str, port: int) -> None:
    """Run the Panel server in the foreground."""
    pn.serve(
        {"/": create_page},
        address=host,
        port=port,
        show=False,
        liveness=True,
        title="Glance",
        websocket_origin="*",
        extra_patterns=extra_patterns(),
    )
