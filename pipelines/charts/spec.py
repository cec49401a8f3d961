"""The chart spec: what to read, how to group and add it up, and how to draw it (versioned, pydantic)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SPEC_VERSION = 1
ChartType = Literal["bar", "line", "area", "pie", "number", "table", "pivot", "scatter", "histogram", "map"]
Agg = Literal["count", "count_distinct", "sum", "avg", "min", "max", "median"]
TimeGrain = Literal["day", "week", "month", "quarter", "year"]
NumberFormat = Literal["international", "indian", "indian_short", "international_short", "percent", "plain"]
FilterOpName = Literal[
    "eq", "ne", "lt", "le", "gt", "ge", "contains", "starts_with", "is_null", "not_null", "in", "between"
]
GRAINS: tuple[TimeGrain, ...] = ("year", "quarter", "month", "week", "day")
MAX_LIMIT = 10_000
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ChartInput(Strict):
    """A table of the warehouse (`schema` + `table`), or a cleaned table (`model`, in the analytics schema)."""

    schema_: str | None = Field(default=None, alias="schema", max_length=200)
    table: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_kind(self) -> ChartInput:
        if self.model is None and not (self.schema_ and self.table):
            raise ValueError('give {"schema", "table"} or {"model"}')
        return self


class MetricSpec(Strict):
    """An aggregate of a column, a saved metric of the library (`metric_id`) or a checked SQL expression."""

    agg: Agg = "count"
    column: str | None = Field(default=None, max_length=200)
    metric_id: str | None = Field(default=None, max_length=32)
    expression: str | None = Field(default=None, max_length=2000, description="filled from the library")
    label: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _needs_column(self) -> MetricSpec:
        if self.agg not in ("count",) and not self.column and not self.metric_id and not self.expression:
            raise ValueError(f"{self.agg} needs a column")
        return self

    def name(self) -> str:
        """The label shown on axes and legends."""
        if self.label:
            return self.label
        if self.expression and not self.column:
            return "Calculated value"
        if self.agg == "count" and not self.column:
            return "Count"
        words = {"count_distinct": "Unique", "avg": "Average", "sum": "Total", "min": "Lowest", "max": "Highest"}
        return f"{words.get(self.agg, self.agg.title())} {self.column or 'value'}"


class FilterSpec(Strict):
    """`column op value`; the value is bound, never pasted, and checked against the column's type."""

    column: str = Field(max_length=200)
    op: FilterOpName = "eq"
    value: Any = None


class SortSpec(Strict):
    """Sort by a dimension column or a metric's label (or `metric` for the first metric)."""

    by: str = Field(max_length=200)
    descending: bool = False


class MapOptions(Strict):
    geojson_id: str = Field(max_length=64)
    key_property: str = Field(max_length=200, description="the GeoJSON property matching the dimension's values")


class ChartSpec(Strict):
    """A chart; `dimensions[0]` is the category or x axis, `dimensions[1]` (bar/line/area) splits it into series."""

    version: Literal[1] = 1
    chart_type: ChartType
    input: ChartInput
    dimensions: list[str] = Field(default_factory=list, max_length=4)
    metrics: list[MetricSpec] = Field(default_factory=list, max_length=8)
    filters: list[FilterSpec] = Field(default_factory=list, max_length=20)
    sort: list[SortSpec] = Field(default_factory=list, max_length=4)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    time_grain: TimeGrain | None = Field(default=None, description="buckets a date first dimension")
    time_column: str | None = Field(default=None, description="number card: the date that defines periods")
    pivot_columns: list[str] = Field(default_factory=list, max_length=2)
    stacked: bool = False
    horizontal: bool = False
    donut: bool = False
    bins: int = Field(default=20, ge=2, le=200)
    max_categories: int = Field(default=12, ge=2, le=50, description="more become 'Other' (pie, bar)")
    map: MapOptions | None = None
    number_format: NumberFormat = "international"
    colors: list[str] = Field(default_factory=list, max_length=12)
    title: str | None = Field(default=None, max_length=200)
    x_label: str | None = Field(default=None, max_length=200)
    y_label: str | None = Field(default=None, max_length=200)

    @field_validator("colors")
    @classmethod
    def _hex(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not _COLOUR.match(c)]
        if bad:
            raise ValueError(f"colours are written #rrggbb, not {bad[0]!r}")
        return value

    @model_validator(mode="after")
    def _shape(self) -> ChartSpec:
        needs = _NEEDS.get(self.chart_type)
        if needs is not None:
            needs(self)
        return self

    def key(self) -> str:
        """A stable hash of what decides the data (not titles or colours)."""
        data = self.model_dump(mode="json", by_alias=True, exclude=_LOOKS)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


_LOOKS = {"colors", "title", "x_label", "y_label", "number_format", "donut", "horizontal", "stacked", "version"}


def _needs_dimension(spec: ChartSpec) -> None:
    if not spec.dimensions:
        raise ValueError(f"a {spec.chart_type} chart needs a column to group by (dimensions)")
    if not spec.metrics:
        spec.metrics.append(MetricSpec())


def _needs_metric(spec: ChartSpec) -> None:
    if not spec.metrics:
        spec.metrics.append(MetricSpec())


def _scatter(spec: ChartSpec) -> None:
    if len(spec.dimensions) < 2 and len(spec.metrics) < 2:
        raise ValueError("a scatter chart needs two number columns (dimensions: [x, y])")


def _histogram(spec: ChartSpec) -> None:
    if len(spec.dimensions) != 1:
        raise ValueError("a histogram needs exactly one number column (dimensions: [column])")


def _pivot(spec: ChartSpec) -> None:
    _needs_dimension(spec)
    if not spec.pivot_columns:
        raise ValueError("a pivot table needs a column to spread across (pivot_columns)")


def _map(spec: ChartSpec) -> None:
    _needs_dimension(spec)
    if spec.map is None:
        raise ValueError("a map needs a boundary file (map: {geojson_id, key_property})")


def _number(spec: ChartSpec) -> None:
    _needs_metric(spec)
    if spec.time_column and not spec.time_grain:
        raise ValueError("the change vs previous period needs a time grain (day, week, month, quarter or year)")


_NEEDS = {
    "bar": _needs_dimension,
    "line": _needs_dimension,
    "area": _needs_dimension,
    "pie": _needs_dimension,
    "number": _number,
    "pivot": _pivot,
    "scatter": _scatter,
    "histogram": _histogram,
    "map": _map,
}


def next_grain(grain: TimeGrain | None) -> TimeGrain | None:
    """The finer grain to drill into (month → week), None at day."""
    if grain is None or grain == "day":
        return None
    return GRAINS[GRAINS.index(grain) + 1]
