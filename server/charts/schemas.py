"""Chart request and response bodies; the chart itself is the engine's versioned ChartSpec."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from pipelines.charts.spec import ChartSpec
from server.core.schemas import UsedIn

ImageFormat = Literal["png", "svg", "pdf"]


class ChartCreate(ChartSpec):
    """A new chart: its name and the spec's fields side by side (chart_type, input, dimensions, metrics, ...)."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)

    def spec(self) -> ChartSpec:
        return ChartSpec.model_validate(self.model_dump(by_alias=True, exclude={"name", "description"}))


class ChartUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    spec: ChartSpec | None = None


class ChartDuplicate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200, description="default: '<name> (copy)'")


class ChartOut(BaseModel):
    id: str
    name: str
    description: str
    chart_type: str
    spec: ChartSpec
    problem: str | None = Field(description="why the chart cannot be drawn now (its table or a column is gone)")
    used_in_dashboards: list[UsedIn]
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class DataColumn(BaseModel):
    name: str
    role: str = Field(description="dimension | metric | series | column")
    type: str = ""


class ChartData(BaseModel):
    """The rows behind a chart; tables and pivots come one page at a time."""

    columns: list[DataColumn]
    rows: list[list[Any]]
    total: int | None = Field(description="rows in all (table charts), else the rows returned")
    limit: int | None = None
    offset: int = 0
    cached: bool = Field(description="served from the chart cache (no query ran)")
    sql: str = Field(description="the one query that produced the rows, values shown as ?")
    change: float | None = Field(default=None, description="number card: change vs the previous period (ratio)")


class PreviewRequest(BaseModel):
    spec: ChartSpec
    width: int = Field(default=800, ge=200, le=4000)
    height: int = Field(default=500, ge=150, le=4000)
    format: ImageFormat = "png"


class PreviewOut(BaseModel):
    data: ChartData
    image: str = Field(description="the picture, base64")
    media_type: str


class DrillRequest(BaseModel):
    """Drill from one category or time bucket: to its rows, or (time) to the next finer grain."""

    value: Any = Field(
        default=None, description="the category value (none: the blank one) or the bucket's start (ISO date) clicked"
    )
    series: Any = Field(default=None, description="the series value, when the chart splits by a second column")
    to: Literal["rows", "grain"] = "rows"
    limit: int = Field(default=100, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0, le=10**12)


class DrillOut(BaseModel):
    spec: ChartSpec = Field(description="the chart drawn for the drill (a table of rows, or the finer grain)")
    data: ChartData


class GeoJsonOut(BaseModel):
    id: str
    name: str
    features: int
    properties: list[str] = Field(description="property names a map can match on")
    sample_values: dict[str, list[str]] = Field(description="a few values of each property")
    builtin: bool
    created_at: datetime | None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
