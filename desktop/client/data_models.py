"""Response bodies of the sources, jobs and warehouse routes as typed, frozen models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from desktop.client.models import Model

ACTIVE = ("queued", "running")


class Connector(Model):
    type: str
    name: str
    api_version: str = ""
    spec: dict[str, Any] = Field(default_factory=dict)


class Upload(Model):
    id: str
    filename: str
    size: int
    sha256: str = ""
    created_at: datetime | None = None


class StreamColumn(Model):
    name: str
    type: str
    original_name: str | None = None


class CatalogStream(Model):
    """A stream found by Discover: its columns and the keys and sync modes it can use."""

    name: str
    columns: list[StreamColumn] = Field(default_factory=list)
    primary_key: list[str] = Field(default_factory=list)
    primary_key_candidates: list[str] = Field(default_factory=list)
    cursor_candidates: list[str] = Field(default_factory=list)
    default_cursor: str | None = None
    supported_sync_modes: list[str] = Field(default_factory=lambda: ["full_refresh"])
    children: list[str] = Field(default_factory=list)
    description: str | None = None


class StreamConfig(Model):
    """A stream the user picked, with its sync mode (the body of PUT /sources/{id}/streams)."""

    name: str
    sync_mode: str = "full_refresh"
    cursor_field: str | None = None
    primary_key: list[str] = Field(default_factory=list)


class Job(Model):
    id: str
    kind: str = ""
    target_id: str | None = None
    status: str
    progress: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    error_hint: str | None = None
    created_by_email: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_s: float | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


class JobStarted(Model):
    job_id: str


class Source(Model):
    id: str
    name: str
    slug: str
    type: str
    config: dict[str, Any] = Field(default_factory=dict)
    schema_name: str = ""
    # The list (GET /sources) carries counts only; catalog and streams come with GET /sources/{id}.
    catalog: list[CatalogStream] | None = None
    streams: list[StreamConfig] | None = None
    stream_count: int | None = None
    selected_stream_count: int | None = None
    created_at: datetime
    updated_at: datetime
    last_sync: Job | None = None


class CheckResult(Model):
    ok: bool
    message: str
    hint: str | None = None


class Catalog(Model):
    streams: list[CatalogStream]


class TableInfo(Model):
    # `schema` would shadow a BaseModel attribute, hence the alias
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    schema_name: str = Field(alias="schema")
    name: str
    kind: str = "table"
    rows: int | None = None


class ColumnInfo(Model):
    name: str
    type: str
    nullable: bool = True
    kind: str = "other"
    original_name: str | None = None


class ResultColumn(Model):
    name: str
    type: str


class RowsPage(Model):
    columns: list[ResultColumn]
    rows: list[list[Any]]
    total: int


class ValueCount(Model):
    value: Any = None
    count: int


class HistogramBin(Model):
    start: Any = None
    end: Any = None
    count: int


class ColumnProfile(Model):
    column: str
    type: str
    kind: str = "other"
    rows: int
    nulls: int
    distinct: int | None = None
    min: Any = None
    max: Any = None
    mean: Any = None
    top_values: list[ValueCount] = Field(default_factory=list)
    histogram: list[HistogramBin] = Field(default_factory=list)
