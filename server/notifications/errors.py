"""Errors of the notifications domain."""

from __future__ import annotations

from server.core.errors import NotFound


class NotificationNotFound(NotFound):
    pass
