"""`glance serve` (the container entry points) and `glance demo` (the embedded default)."""

from __future__ import annotations

from enum import Enum

import typer

from services.settings import get_settings


class Service(str, Enum):
    sync = "sync"
    dashboard = "dashboard"


def serve(
    service: Service = typer.Argument(..., help="Which service to run: sync or dashboard."),
    host: str | None = typer.Option(None, help="Address to bind (default from settings)."),
    port: int | None = typer.Option(None, help="Port to bind (default: sync 8000, dashboard 5006)."),
) -> None:
    """Run one service in the foreground (what each container runs)."""
    settings = get_settings()
    if service is Service.sync:
        import uvicorn

        uvicorn.run(
            "services.sync.app:create_app",
            factory=True,
            host=host or settings.sync_host,
            port=port or settings.sync_port,
            log_config=None,
            timeout_graceful_shutdown=10,
        )
    else:
        from dashboard.server import serve_dashboard

        serve_dashboard(settings, host=host or settings.dashboard_host, port=port or settings.dashboard_port)


def register(app: typer.Typer) -> None:
    """Add the run commands to the top-level app."""
    app.command("serve")(serve)
