"""create_app(settings): the one factory for embedded and hosted servers."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from server import __version__
from server.core.config import Settings
from server.core.db import make_engine, make_session_factory, migrate
from server.core.errors import install_error_handlers

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, run_migrations: bool | None = None) -> FastAPI:
    """Build the app; in embedded mode (or when asked) the app DB is migrated to head first."""
    settings = settings or Settings()
    settings.ensure_home()
    engine = make_engine(settings.resolved_database_url)
    if run_migrations if run_migrations is not None else settings.mode == "embedded":
        migrate(engine)
    app = FastAPI(title="Dalgo", version=__version__, docs_url="/docs", openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from server.audit.endpoints import router as audit
    from server.auth.endpoints import router as auth
    from server.health.endpoints import router as health
    from server.orgs.endpoints import router as orgs
    from server.users.endpoints import router as users

    app.include_router(health, include_in_schema=False)
    api = APIRouter(prefix=API_PREFIX)
    for router in (health, auth, orgs, users, audit):
        api.include_router(router)
    app.include_router(api)
