"""Source, connector, upload and stream bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pipelines.connectors.base import SyncMode
from server.core.schemas import Page
from server.jobs.schemas import JobOut


class ConnectorOut(BaseModel):
    type: str
    name: str
    api_version: str
    spec: dict[str, Any]


ConnectorPage = Page[ConnectorOut]


class UploadOut(BaseModel):
    id: str
    filename: str
    size: int
    sha256: str
    created_at: datetime


class StreamConfig(BaseModel):
    name: str
    sync_mode: SyncMode = SyncMode.full_refresh
    cursor_field: str | None = None
    primary_key: list[str] = Field(default_factory=list)


class SourceSummary(BaseModel):
    """A source as the list shows it: no catalog (it can hold thousands of columns); GET /sources/{id} has it."""

    id: str
    name: str
    slug: str
    type: str
    config: dict[str, Any]
    schema_name: str
    stream_count: int | None = Field(description="streams discovered; null before the first Discover")
    selected_stream_count: int | None = Field(description="streams chosen to sync; null when never chosen")
    created_at: datetime
    updated_at: datetime
    last_sync: JobOut | None = None


class SourceOut(SourceSummary):
    catalog: list[dict[str, Any]] | None
    streams: list[StreamConfig] | None


SourcePage = Page[SourceSummary]


class SourceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    type: str
    config: dict[str, Any] = Field(default_factory=dict)


class SourceUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    config: dict[str, Any] | None = None


class StreamsUpdate(BaseModel):
    streams: list[StreamConfig]


class SyncRequest(BaseModel):
    streams: list[str] | None = None


class CheckResult(BaseModel):
    ok: bool
    message: str
    hint: str | None = None


class CatalogOut(BaseModel):
    streams: list[dict[str, Any]]
