"""Errors of the metric library."""

from __future__ import annotations

from server.core.errors import BadRequest, Conflict, NotFound


class MetricNotFound(NotFound):
    pass


class MetricNameTaken(Conflict):
    pass


class MetricInUse(Conflict):
    """A metric that charts (later KPIs, alerts) use cannot be deleted."""


class BadMetric(BadRequest):
    pass
