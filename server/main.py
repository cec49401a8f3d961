"""create_app(settings): the one factory for embedded and hosted servers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from server import __version__
from server.core.bounded import BoundedCache
from server.core.config import Settings
from server.core.db import make_engine, make_session_factory, migrate
from server.core.errors import install_error_handlers
from server.core.redact import redactor
from server.core.security import SecretBox
from server.core.storage import OrgStorage
from server.jobs.runner import JobRunner
from server.pipelines.runtime import PipelineRuntime
from server.transforms.workspace import Workspaces

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, run_migrations: bool | None = None) -> FastAPI:
    """Build the app; in embedded mode (or when asked) the app DB is migrated to head first."""
    settings = settings or Settings()
    settings.ensure_home()
    engine = make_engine(settings.resolved_database_url)
    if run_migrations if run_migrations is not None else settings.mode == "embedded":
        migrate(engine)
    session_factory = make_session_factory(engine)
    storage = OrgStorage(settings)
    jobs = JobRunner(session_factory, redact=redactor(settings.mode, settings.home))
    jobs.recover()
    workspaces = Workspaces(storage)
    secret_box = SecretBox(settings.secrets_key or settings.resolved_secret_key())
    pipelines = PipelineRuntime(
        settings,
        engine,
        session_factory,
        storage,
        workspaces,
        secret_box,
        redact=redactor(settings.mode, settings.home),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pipelines.start()  # runs a dead process left become interrupted; the scheduler starts (or waits its turn)
        yield
        pipelines.stop()
        jobs.shutdown()
        storage.close()

    app = FastAPI(title="Dalgo", version=__version__, docs_url="/docs", openapi_url="/openapi.json", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.storage = storage
    app.state.jobs = jobs
    app.state.workspaces = workspaces
    app.state.pipelines = pipelines
    app.state.preview_caches = BoundedCache(storage.max_open, on_evict=storage.drop_preview_cache)
    app.state.chart_caches = BoundedCache(storage.max_open)
    app.state.secret_box = secret_box
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
    from server.charts.endpoints import router as charts
    from server.health.endpoints import router as health
    from server.jobs.endpoints import router as jobs
    from server.metrics.endpoints import router as metrics
    from server.notifications.endpoints import router as notifications
    from server.orgs.endpoints import router as orgs
    from server.pipelines.endpoints import router as pipelines
    from server.recipes.endpoints import router as recipes
    from server.sources.endpoints import router as sources
    from server.transforms.endpoints import router as transforms
    from server.users.endpoints import router as users
    from server.warehouse.endpoints import router as warehouse

    app.include_router(health, include_in_schema=False)
    api = APIRouter(prefix=API_PREFIX)
    domains = (
        health,
        auth,
        orgs,
        users,
        audit,
        sources,
        jobs,
        warehouse,
        recipes,
        transforms,
        pipelines,
        notifications,
        charts,
        metrics,
    )
    for router in domains:
        api.include_router(router)
    app.include_router(api)
