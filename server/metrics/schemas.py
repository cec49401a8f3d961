"""Metric library bodies: an aggregate of a column, or a calculated SQL expression checked on the warehouse."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pipelines.charts.spec import Agg, ChartInput
from server.core.schemas import UsedIn


class MetricCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    input: ChartInput
    agg: Agg | None = Field(default="count", description="with column; null for an expression")
    column: str | None = Field(default=None, max_length=200)
    expression: str | None = Field(
        default=None, max_length=2000, description="a SQL expression over the table, e.g. SUM(paid) / COUNT(*)"
    )


class MetricUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    agg: Agg | None = None
    column: str | None = None
    expression: str | None = Field(default=None, max_length=2000)


class MetricCheck(BaseModel):
    """Whether a metric reads well on the warehouse, without saving it."""

    ok: bool
    kind: Literal["aggregate", "expression"]
    sql: str = Field(description="the expression as it runs on this warehouse")
    message: str


class MetricOut(BaseModel):
    id: str
    name: str
    description: str
    input: ChartInput
    agg: str | None
    column: str | None
    expression: str | None
    used_by: list[UsedIn]
    created_at: datetime
    updated_at: datetime
