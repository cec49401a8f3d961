"""Errors of the warehouse domain."""

from __future__ import annotations

from server.core.errors import BadRequest


class BadWarehouseRequest(BadRequest):
    pass
