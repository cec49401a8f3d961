"""Transform bodies: dbt models, runs, lineage, import."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunRequest(BaseModel):
    select: list[str] | None = Field(default=None, description="dbt selectors, e.g. ['my_model+']; default all")


class SqlModel(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    sql: str = Field(min_length=1)


class SqlModelUpdate(BaseModel):
    sql: str = Field(min_length=1)


class ImportRequest(BaseModel):
    path: str = Field(min_length=1, description="a dbt project folder or a local git repository")


class ModelSummary(BaseModel):
    name: str
    folder: str
    kind: str = Field(description="recipe | sql | imported")
    recipe_id: str | None
    last_run: dict[str, Any] | None = Field(description="the model's result in the latest dbt job that ran it")


class ModelOut(BaseModel):
    name: str
    folder: str
    sql: str
    schema_yml: dict[str, Any] | None
    editable: bool


class LineageNode(BaseModel):
    id: str
    name: str
    kind: str
    label: str


class LineageEdge(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: str = Field(alias="from")
    to: str


class Lineage(BaseModel):
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    upstream: list[str] | None = Field(default=None, description="only when a node was asked for")
    downstream: list[str] | None = None


class ImportReport(BaseModel):
    project_name: str
    models: list[str]
    packages: list[str]
    notes: list[str]
