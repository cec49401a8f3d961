"""Errors of the jobs domain."""

from __future__ import annotations

from server.core.errors import Conflict, NotFound


class JobNotFound(NotFound):
    pass


class AlreadyRunning(Conflict):
    pass
