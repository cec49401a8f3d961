"""Charts, the metric library and the GeoJSON boundary files map charts draw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, IdMixin, UTCDateTime, utcnow


class ChartRow(IdMixin, Base):
    """A saved chart: the engine's versioned ChartSpec as JSON."""

    __tablename__ = "charts"
    __label__ = "chart"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    chart_type: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class MetricRow(IdMixin, Base):
    """A reusable metric: an aggregate of a column, or a checked SQL expression over one table."""

    __tablename__ = "metrics"
    __label__ = "metric"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_metrics_org_name"),)

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    agg: Mapped[str | None] = mapped_column(String(20), nullable=True)
    column: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expression: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class GeoJsonRow(IdMixin, Base):
    """An uploaded boundary file (validated GeoJSON), stored at <org dir>/uploads/geojson/<id>.geojson."""

    __tablename__ = "geojson_files"
    __label__ = "boundary file"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    features: Mapped[int] = mapped_column(Integer)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
