"""The sync service: a FastAPI app that imports files and pulls sources into the database, and serves figures."""

from __future__ import annotations

from fastapi import FastAPI

from db.engine import make_engine
from services import __version__
from services.ops.scheduler import with_scheduled_work
from services.runtime.database import get_engine
from services.runtime.security_headers import SecurityHeadersMiddleware
from services.runtime.settings import Settings, get_settings
from services.sync.api import errors, ops
from services.sync.api.imports import router as imports_router
from services.sync.api.reports import router as reports_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """The sync service app on `settings` (default: the process-wide settings and engine); routers register here."""
    app = FastAPI(title="Glance sync service", version=__version__, lifespan=with_scheduled_work(ops.lifespan))
    app.state.settings = settings or get_settings()
    app.state.engine = get_engine() if settings is None else make_engine(settings)
    app.include_router(imports_router)
    app.include_router(reports_router)
    ops.install(app)
    app.add_middleware(SecurityHeadersMiddleware)
    errors.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is alive; no dependency is checked."""
        return {"status": "ok"}

    return app
