"""The connector protocol: spec → check → discover → read (Airbyte's vocabulary).

A connector is a class with class attributes `type`, `name`, `api_version` and four methods. Config
arrives as a plain dict already validated against `spec()`; nothing reads globals or the environment.
`read` yields `Batch`es of Arrow data; the loader commits a batch, then saves `batch.state`, so a crash
resumes from the last committed batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import pyarrow as pa

from pipelines.connectors.filetypes.limits import FileLimits
from pipelines.errors import Cancelled
from pipelines.netpolicy import NetworkPolicy

if TYPE_CHECKING:
    import duckdb


class SyncMode(StrEnum):
    full_refresh = "full_refresh"
    incremental_append = "incremental_append"
    incremental_dedup = "incremental_dedup"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB logical type name: VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, DATE, JSON, ...
    original_name: str | None = None


@dataclass
class Stream:
    """One table/form/sheet a source offers."""

    name: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    primary_key_candidates: list[str] = field(default_factory=list)  # unique, non-null, id-like columns
    cursor_candidates: list[str] = field(default_factory=list)
    default_cursor: str | None = None
    supported_sync_modes: list[SyncMode] = field(default_factory=lambda: [SyncMode.full_refresh])
    children: list[str] = field(default_factory=list)  # child table names, e.g. "survey__household"
    description: str | None = None


@dataclass
class ConfiguredStream:
    """A stream the user picked, with its sync mode."""

    name: str
    sync_mode: SyncMode = SyncMode.full_refresh
    cursor_field: str | None = None
    primary_key: list[str] = field(default_factory=list)


@dataclass
class ScanReview:
    """What a scan's `review` hook says after the loader ran it: warnings, or a better scan to run instead."""

    warnings: list[str] = field(default_factory=list)
    retry: SqlScan | None = None


@dataclass
class SqlScan:
    """Rows the loader materialises inside DuckDB (`CREATE TABLE ... AS SELECT * FROM (<sql>)`), no Python rows.

    File connectors use it for `read_csv`/`read_parquet`/`read_xlsx`. Output column names must already be
    safe identifiers; `original_names` maps them to the names in the source. `prepare` (optional) runs on
    the loader's connection first and returns the scan to run (e.g. after a type pre-pass); `review` runs
    after the rows are staged, in the same transaction, and may ask for a retry (staged rows are dropped).
    """

    sql: str
    params: list[Any] = field(default_factory=list)
    original_names: dict[str, str] = field(default_factory=dict)
    source_bytes: int = 0
    prepare: Callable[[duckdb.DuckDBPyConnection], SqlScan] | None = None
    review: Callable[[duckdb.DuckDBPyConnection], ScanReview] | None = None


@dataclass
class Batch:
    """Rows for one table. `table_name` is the stream or a child table (`<stream>__<repeat>`).

    `data` is an Arrow table (API connectors) or a `SqlScan` (file connectors: DuckDB reads the file).
    `state` is the stream state valid once this batch (and all before it) is committed; None means
    "no new state". `parent_key` names the column linking a child table to its parent row.
    """

    table_name: str
    data: pa.Table | SqlScan
    state: dict[str, Any] | None = None
    parent_key: str | None = None


ProgressFn = Callable[[dict[str, Any]], None]


@dataclass
class ReadContext:
    """What the engine gives a connector at run time: file resolution, progress and cancellation."""

    uploads_dir: Path | None = None
    allow_local_paths: bool = False
    progress: ProgressFn = lambda _info: None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    batch_rows: int = 50_000
    http_timeout: float = 60.0
    max_retries: int = 5
    max_upload_bytes: int | None = None  # files larger than this are refused before reading
    network: NetworkPolicy = field(default_factory=NetworkPolicy)  # which addresses API and database sources reach
    file_limits: FileLimits = field(default_factory=FileLimits)  # what parsing one file may need

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()


class Connector(Protocol):
    type: ClassVar[str]
    name: ClassVar[str]
    api_version: ClassVar[str]

    def spec(self) -> dict[str, Any]: ...

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None: ...

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]: ...

    def read(
        self,
        config: dict[str, Any],
        stream: ConfiguredStream,
        state: dict[str, Any] | None,
        ctx: ReadContext,
    ) -> Iterator[Batch]: ...
