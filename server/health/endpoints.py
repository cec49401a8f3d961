"""Health: version, mode and whether the app DB answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from server import __version__
from server.core.db import database_reachable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    mode: str
    database: str


@router.get("/health", operation_id="health-get")
def health(request: Request) -> Health:
    ok = database_reachable(request.app.state.engine)
    return Health(
        status="ok" if ok else "degraded",
        version=__version__,
        mode=request.app.state.settings.mode,
        database="ok" if ok else "unreachable",
    )
