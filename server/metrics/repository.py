"""Queries for the metric library, scoped to one org through server.core.tenancy."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.tenancy import get_scoped, scoped
from server.metrics.errors import MetricNotFound
from server.models import ChartRow, MetricRow


class MetricsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, org_id: str) -> list[MetricRow]:
        return list(self.session.scalars(scoped(select(MetricRow), MetricRow, org_id).order_by(MetricRow.name)))

    def get(self, org_id: str, metric_id: str) -> MetricRow:
        return get_scoped(self.session, MetricRow, metric_id, org_id, MetricNotFound)

    def by_name(self, org_id: str, name: str) -> MetricRow | None:
        return self.session.scalars(scoped(select(MetricRow), MetricRow, org_id).where(MetricRow.name == name)).first()

    def add(self, row: MetricRow) -> MetricRow:
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: MetricRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def charts(self, org_id: str) -> Sequence[ChartRow]:
        """The org's charts, to find which use a metric (metrics never import the charts domain)."""
        return list(self.session.scalars(scoped(select(ChartRow), ChartRow, org_id)))
