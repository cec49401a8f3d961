"""Recipe request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

# A value a cluster merge maps from or to: a cell value, never a list or an object.
Scalar = str | int | float | bool | None


class RecipeCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    input: dict[str, Any] = Field(description='{"schema": "raw_x", "table": "t"} or {"kind": "model", "model": "m"}')


class RecipeUpdate(BaseModel):
    name: str | None = None
    description: str | None = None
    column_descriptions: dict[str, str] | None = None
    tests: list[dict[str, Any]] | None = None


class StepCreate(BaseModel):
    op: str
    config: dict[str, Any] = Field(default_factory=dict)
    position: int | None = Field(default=None, ge=0, le=10**6)


class StepUpdate(BaseModel):
    config: dict[str, Any] | None = None
    enabled: bool | None = None


class StepMove(BaseModel):
    position: int = Field(ge=0, le=10**6)


class ClusterMerge(BaseModel):
    values: list[Scalar] = Field(min_length=1)
    value: Scalar


class ClusterAccept(BaseModel):
    column: str = Field(min_length=1)
    merges: list[ClusterMerge] = Field(min_length=1)


class Operation(BaseModel):
    op: str
    name: str
    config_schema: dict[str, Any]


class StepProblemOut(BaseModel):
    step: int
    step_id: str | None
    message: str
    column: str | None = None
    hint: str | None = None


class RecipeOut(BaseModel):
    id: str
    name: str
    model_name: str
    status: str
    input: dict[str, Any]
    steps: list[dict[str, Any]]
    description: str
    tests: list[dict[str, Any]]
    column_descriptions: dict[str, str]
    problems: list[StepProblemOut]
    can_undo: bool
    can_redo: bool
    saved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ColumnOut(BaseModel):
    name: str
    type: str


class PreviewOut(BaseModel):
    columns: list[ColumnOut]
    rows: list[list[Any]]
    total: int | None
    sampled: bool
    warnings: list[str]
    upto: int
    filters: list[dict[str, Any]] = Field(default_factory=list)


class FacetValueOut(BaseModel):
    value: Any
    count: int


class TextFacetOut(BaseModel):
    column: str
    values: list[FacetValueOut]
    distinct: int
    rows: int


class BinOut(BaseModel):
    start: Any
    end: Any
    count: int


class RangeFacetOut(BaseModel):
    column: str
    min: Any
    max: Any
    bins: list[BinOut]
    empty: int


class ClusterOut(BaseModel):
    key: str
    values: list[tuple[Any, int]] = Field(description="[value, rows] pairs, most rows first")
    suggested: Any
    rows: int


class DetectedFormatOut(BaseModel):
    format: str = Field(description="as typed in Parse dates, e.g. dd/mm/yyyy, or excel for Excel serial numbers")
    example: str = Field(description="31 December 2024 written in this format")
    rows: int = Field(description="rows whose value this format reads")
    values: int = Field(description="distinct values it reads")
    only: int = Field(description="distinct values no other format reads")
    samples: list[tuple[str, str]] = Field(description="[text as found, the date it becomes (ISO)] pairs")


class DateFormatsOut(BaseModel):
    column: str
    formats: list[DetectedFormatOut]
    unread_rows: int = Field(description="rows with a non-blank value no common format reads")
    unread_values: int
    ambiguous: str = Field(description="why dd/mm and mm/dd can both read a value, shown when both are found")


class SavedModel(BaseModel):
    name: str
    path: str = Field(description="relative to the org's dbt project")
    sql: str
    schema_yml: dict[str, Any]
