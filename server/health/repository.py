"""The one query health makes: does the app DB answer."""

from __future__ import annotations

from sqlalchemy import Engine

from server.core.db import database_reachable


def database_answers(engine: Engine) -> bool:
    return database_reachable(engine)
