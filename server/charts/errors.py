"""Errors of the charts domain."""

from __future__ import annotations

from server.core.errors import BadRequest, NotFound


class ChartNotFound(NotFound):
    pass


class GeoJsonNotFound(NotFound):
    pass


class BadChart(BadRequest):
    """The chart cannot be drawn as asked: its table or a column is gone, a value has the wrong type, ..."""
