"""Errors of the transforms domain."""

from __future__ import annotations

from server.core.errors import BadRequest


class TransformError(BadRequest):
    pass
