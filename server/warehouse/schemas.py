"""Data explorer bodies: warehouse settings, tables, columns, rows, profiles, queries."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WarehouseSettings(BaseModel):
    kind: str
    config: dict[str, Any] = Field(default_factory=dict)


class QueryRequest(BaseModel):
    sql: str = Field(min_length=1)
    limit: int = Field(default=500, ge=1, le=10_000)


class LocalWarehouse(BaseModel):
    kind: str
    path: str | None = Field(default=None, description="shown in embedded mode only")


class WarehouseOut(BaseModel):
    kind: str
    config: dict[str, Any] = Field(description="secrets masked")
    local: LocalWarehouse


class TableOut(BaseModel):
    # `schema` would shadow a BaseModel attribute: stored as schema_, sent as "schema"
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    schema_: str = Field(alias="schema")
    name: str
    kind: Literal["table", "view"]
    rows: int | None = None


class ColumnOut(BaseModel):
    name: str
    type: str
    nullable: bool = True
    kind: str = "other"
    original_name: str | None = None


class ResultColumn(BaseModel):
    name: str
    type: str


class RowsPage(BaseModel):
    columns: list[ResultColumn]
    rows: list[list[Any]]
    total: int


class QueryOut(BaseModel):
    columns: list[ResultColumn]
    rows: list[list[Any]]
    truncated: bool


class ValueCountOut(BaseModel):
    value: Any
    count: int


class HistogramBinOut(BaseModel):
    start: Any
    end: Any
    count: int


class ColumnProfileOut(BaseModel):
    column: str
    type: str
    kind: str
    rows: int
    nulls: int
    distinct: int | None
    min: Any = None
    max: Any = None
    mean: Any = None
    top_values: list[ValueCountOut] = Field(default_factory=list)
    histogram: list[HistogramBinOut] = Field(default_factory=list)
