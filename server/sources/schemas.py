"""Source, connector, upload and stream bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pipelines.connectors.base import SyncMode


class ConnectorOut(BaseModel):
    type: str
    name: str
    api_version: str
    spec: dict[str, Any]


class ConnectorPage(BaseModel):
    items: list[ConnectorOut]
    total: int


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


class SourceOut(BaseModel):
    id: str
    name: str
    slug: str
    type: str
    config: dict[str, Any]
    schema_name: str
    catalog: list[dict[str, Any]] | None
    streams: list[StreamConfig] | None
    created_at: datetime
    updated_at: datetime
    last_sync: dict[str, Any] | None = None


class SourcePage(BaseModel):
    items: list[SourceOut]
    total: int


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
