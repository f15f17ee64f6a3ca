"""The sync service: a FastAPI app that imports files and pulls sources into the database."""

from __future__ import annotations

from fastapi import FastAPI

from services import __version__
from services.ops.scheduler import with_scheduled_work
from services.runtime.security_headers import SecurityHeadersMiddleware
from services.runtime.settings import Settings, get_settings
from services.sync.api import errors, ops
from services.sync.api.imports import router as imports_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the sync service app; routers register here."""
    settings = settings or get_settings()
    app = FastAPI(title="Glance sync service", version=__version__, lifespan=with_scheduled_work(ops.lifespan))
    app.state.settings = settings
    app.include_router(imports_router)
    ops.install(app)
    app.add_middleware(SecurityHeadersMiddleware)
    errors.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is alive; no dependency is checked."""
        return {"status": "ok"}

    return app
