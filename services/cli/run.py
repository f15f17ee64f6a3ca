"""`glance serve` (the container entry points) and `glance demo` (the embedded default)."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum

import typer
from sqlalchemy.exc import SQLAlchemyError

from db.migrate import upgrade
from services.cli.output import fail, stdout
from services.embedded.demo import DemoPlan
from services.embedded.first_start import FirstStart, prepare_demo
from services.embedded.supervisor import Child, StartupError, start_child, stop_children, supervise, wait_ready
from services.runtime.database import get_engine, session_scope
from services.runtime.logs import configure_logging
from services.runtime.secret_files import stored_secret, write_secret
from services.runtime.settings import get_settings


class Service(StrEnum):
    sync = "sync"
    dashboard = "dashboard"


def serve(
    service: Service = typer.Argument(..., help="Which service to run: sync or dashboard."),
    host: str | None = typer.Option(None, help="Address to bind (default from settings)."),
    port: int | None = typer.Option(None, help="Port to bind (default: sync 8000, dashboard 5006)."),
) -> None:
    """Run one service in the foreground (what each container runs)."""
    settings = get_settings()
    configure_logging(settings, stream=sys.stdout)
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


def demo(
    lines: int = typer.Option(50_000, "--lines", min=1, help="Sales lines to generate on first start."),
    seed_only: bool = typer.Option(False, "--seed-only", help="Seed the database and exit."),
    sync_port: int | None = typer.Option(None, "--sync-port", help="Sync service port (default 8000)."),
    dashboard_port: int | None = typer.Option(None, "--dashboard-port", help="Dashboard port (default 5006)."),
    seed: int = typer.Option(42, "--seed", help="Random seed of the demo data."),
) -> None:
    """Run Glance on its embedded default: migrate, seed demo data once, serve both services."""
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    engine = get_engine()
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            created = prepare_demo(
                session,
                token_file=data_dir / "api_token",
                plan=DemoPlan(lines=lines, seed=seed, end=date.today()),
                admin_password=settings.admin_password.get_secret_value() if settings.admin_password else None,
            )
    except SQLAlchemyError as exc:
        fail(f"could not prepare the database: {str(exc).splitlines()[0]}", fix="check GLANCE_DATABASE_URL")
    if created.api_token:
        write_secret(data_dir / "api_token", created.api_token)
    _report_first_start(created)
    if seed_only:
        return
    sync_port = sync_port or settings.sync_port
    dashboard_port = dashboard_port or settings.dashboard_port
    env = {
        "GLANCE_DATA_DIR": str(data_dir),
        "GLANCE_DATABASE_URL": settings.effective_database_url,
        "GLANCE_SYNC_URL": f"http://127.0.0.1:{sync_port}",
        "GLANCE_API_TOKEN": (data_dir / "api_token").read_text(encoding="utf-8").strip(),
        "GLANCE_SECRET_KEY": (
            settings.secret_key.get_secret_value() if settings.secret_key else stored_secret(data_dir / "secret_key")
        ),
    }
    children: list[Child] = []
    try:
        children.append(start_child("sync", port=sync_port, probe="/healthz", env=env))
        children.append(start_child("dashboard", port=dashboard_port, probe="/liveness", env=env))
        wait_ready(children)
        stdout.print(f"Glance is running. Dashboard: [bold]http://127.0.0.1:{dashboard_port}[/]")
        stdout.print(f"Sync service API: http://127.0.0.1:{sync_port}/docs   (Ctrl-C stops both)")
        code = supervise(children)
    except StartupError as exc:
        fail(str(exc), fix="see the log lines above; a port may be in use (try --sync-port/--dashboard-port)")
    except KeyboardInterrupt:
        code = 0
    finally:
        stop_children(children)
    raise typer.Exit(code)


def _report_first_start(created: FirstStart) -> None:
    if created.seeded:
        seeded = created.seeded
        stdout.print(
            f"Seeded demo data: {seeded.lines:,} sales lines from {seeded.first_day} to {seeded.last_day} "
            f"(data version {seeded.data_version})."
        )
    for username, password in created.passwords.items():
        stdout.print(f"Created user [bold]{username}[/] with password [bold]{password}[/] (shown once).")


def register(app: typer.Typer) -> None:
    """Add the run commands to the top-level app."""
    app.command("serve")(serve)
    app.command("demo")(demo)
