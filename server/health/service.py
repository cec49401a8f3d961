"""Health: version, mode and whether the app DB answers."""

from __future__ import annotations

from sqlalchemy import Engine

from server import __version__
from server.health.repository import database_answers
from server.health.schemas import Health


def health(engine: Engine, mode: str) -> Health:
    ok = database_answers(engine)
    return Health(
        status="ok" if ok else "degraded", version=__version__, mode=mode, database="ok" if ok else "unreachable"
    )
