"""Health: version, mode and whether the app DB answers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from server.health import service
from server.health.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="health-get")
def health(request: Request) -> Health:
    return service.health(request.app.state.engine, request.app.state.settings.mode)
