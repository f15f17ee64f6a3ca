"""`glance version`, `glance health`, `glance verify-deploy` and `glance cache clear`: operations commands."""

from __future__ import annotations

import typer
from rich.table import Table

from services.cache.backends import BackendError
from services.cache.query_cache import get_cache
from services.cli.output import fail, stdout
from services.ops.deploy_check import ServiceReport, check_service
from services.ops.readiness import readiness
from services.runtime.build_info import current_build, verify_sources
from services.runtime.database import get_engine
from services.runtime.settings import get_settings

cache_app = typer.Typer(help="Manage the query cache.", no_args_is_help=True)


def version() -> None:
    """Print the version, git revision, Alembic head and whether the sources match the release."""
    build = current_build()
    check = verify_sources(build)
    stdout.print(f"glance {build.version}")
    stdout.print(f"revision: {build.revision}")
    stdout.print(f"release: {build.release} (from {build.origin.value}, built {build.build_time:%Y-%m-%d %H:%M:%S %Z})")
    stdout.print(f"alembic head: {build.alembic_head}")
    stdout.print(f"digest: {build.digest}")
    stdout.print(f"sources: {check.describe()}")
    if build.manifest_error:
        stdout.print(f"manifest: {build.manifest_error}")


def health(
    as_json: bool = typer.Option(False, "--json", help="Print the readiness result as JSON."),
) -> None:
    """Run the readiness checks (database, schema, Redis, sources); exit 1 when any fails."""
    result = readiness(engine=get_engine(), settings=get_settings(), cache=get_cache())
    if as_json:
        stdout.print_json(result.model_dump_json())
    else:
        table = Table("check", "state", "detail")
        for check in result.checks:
            table.add_row(check.name, check.state.value, check.detail)
        stdout.print(table)
        stdout.print(f"status: {result.status.value}")
    if not result.ready:
        raise typer.Exit(1)


def verify_deploy(
    expect_revision: str = typer.Option(
        ..., "--expect-revision", help="The git commit (7+ hex digits) every service must run."
    ),
    sync: str | None = typer.Option(None, "--sync", help="Sync service base URL (default: GLANCE_SYNC_URL)."),
    dashboard: str | None = typer.Option(None, "--dashboard", help="Dashboard base URL (default: from settings)."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds to wait for each service."),
) -> None:
    """Exit 1 unless every service reports the expected revision, a clean digest and a schema at head."""
    settings = get_settings()
    targets = {
        "sync": sync or settings.sync_url,
        "dashboard": dashboard or f"http://{settings.dashboard_host}:{settings.dashboard_port}",
    }
    reports = [
        check_service(service=name, url=url, expect_revision=expect_revision, timeout_s=timeout)
        for name, url in targets.items()
    ]
    _print_reports(reports)
    failed = [report.service for report in reports if not report.ok]
    if failed:
        fail(
            f"deploy not verified: {', '.join(failed)} not running {expect_revision} cleanly",
            fix="see the problems above; redeploy the expected release and run `glance db upgrade` if the schema lags",
        )
    stdout.print(f"deploy verified: every service runs {expect_revision} with clean sources and the schema at head")


def _print_reports(reports: list[ServiceReport]) -> None:
    table = Table("service", "url", "revision", "result")
    for report in reports:
        table.add_row(
            report.service, report.url, report.revision or "-", "ok" if report.ok else "; ".join(report.problems)
        )
    stdout.print(table)


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every cached query result (Redis, or this process's cache in embedded mode)."""
    try:
        removed = get_cache().clear()
    except BackendError as exc:
        fail(f"could not clear the cache: {exc}", fix="check GLANCE_REDIS_URL and that Redis is running")
    stdout.print(f"cache cleared: {removed} entries removed")


def register(app: typer.Typer) -> None:
    """Add the operations commands to the top-level app."""
    app.command("version")(version)
    app.command("health")(health)
    app.command("verify-deploy")(verify_deploy)
    app.add_typer(cache_app, name="cache")
