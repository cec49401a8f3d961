"""The ingest engine: run a connector's streams into the raw schema of a DuckDB warehouse.

Transactions are the whole story here:
- full_refresh: one transaction per stream. Batches go into `_dalgo_stage__<table>`, which replaces the
  old table at the end (drop + rename) together with the state. A failure or cancel rolls everything back:
  the previous table is intact and no staging table is left.
- incremental_append / incremental_dedup: a batch carrying `state` closes a transaction (its rows, the rows
  of the state-less batches before it, and the state commit together). A crash or cancel loses at most the
  open group, and the next run resumes from the last committed state: no duplicates.
When the stream has a cursor field, the loader also keeps `{"cursor", "cursor_kind", "cursor_field"}` in
the state (the highest cursor committed), which file connectors use to read only newer rows.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipelines import loader
from pipelines.connectors.base import Batch, ConfiguredStream, Connector, ReadContext, SyncMode
from pipelines.errors import BadInputError, ConfigError
from pipelines.loader import CancelWatcher, SchemaChange, Staged
from pipelines.naming import normalise_identifier

_SAFE_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass
class StreamResult:
    """What one stream's sync did."""

    stream: str
    sync_mode: str
    rows: int = 0  # rows loaded into the stream's main table
    rows_by_table: dict[str, int] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)  # "schema.table", main table first
    warnings: list[str] = field(default_factory=list)
    state: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SyncResult:
    """What a sync did: per-stream rows and tables, schema changes to show the user, warnings, time."""

    batch_id: str
    schema: str
    streams: dict[str, StreamResult] = field(default_factory=dict)
    rows: int = 0  # all streams, main tables
    tables_written: list[str] = field(default_factory=list)
    schema_changes: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def add(self, result: StreamResult, changes: list[SchemaChange]) -> None:
        self.streams[result.stream] = result
        self.rows += result.rows
        self.tables_written.extend(table for table in result.tables if table not in self.tables_written)
        self.schema_changes.extend(change.as_dict() for change in _unique(changes))
        self.warnings.extend(result.warnings)

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["elapsed"] = round(self.elapsed, 3)
        return data


def run_sync(
    connector: Connector,
    config: dict[str, Any],
    streams: list[ConfiguredStream],
    *,
    con: duckdb.DuckDBPyConnection,
    schema: str,
    ctx: ReadContext,
    batch_id: str,
) -> SyncResult:
    """Sync `streams` of `connector` into `schema`; raises the first stream's error (earlier streams stay)."""
    started = time.monotonic()
    result = SyncResult(batch_id=batch_id, schema=schema)
    loader.ensure_schema(con, schema)
    loader.drop_leftover_stages(con, schema)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    with CancelWatcher(con, ctx.cancel_event) as watcher:
        for configured in streams:
            ctx.check_cancelled()
            job = _StreamJob(connector, config, configured, con, schema, ctx, batch_id, loaded_at, watcher)
            result.add(job.run(), job.changes)
    result.elapsed = time.monotonic() - started
    return result


def get_state(con: duckdb.DuckDBPyConnection, schema: str, stream: str) -> dict[str, Any] | None:
    """The last committed state of a stream (None before its first committed batch)."""
    return loader.get_state(con, schema, stream)


def table_name(raw: str) -> str:
    """A batch's table name as stored: kept when already a safe identifier (`survey__household`)."""
    return raw if _SAFE_TABLE.match(raw) else normalise_identifier(raw, fallback="stream")


class _StreamJob:
    """Sync one configured stream; holds the counters and changes the result reports."""

    def __init__(
        self,
        connector: Connector,
        config: dict[str, Any],
        stream: ConfiguredStream,
        con: duckdb.DuckDBPyConnection,
        schema: str,
        ctx: ReadContext,
        batch_id: str,
        loaded_at: datetime,
        watcher: CancelWatcher,
    ) -> None:
        self.connector, self.config, self.stream, self.con = connector, config, stream, con
        self.schema, self.batch_id, self.loaded_at, self.watcher = schema, batch_id, loaded_at, watcher
        self._outer_progress = ctx.progress
        self.ctx = dataclasses.replace(ctx, progress=self._on_progress)  # same cancel event, events seen here
        self.mode = SyncMode(stream.sync_mode)
        self.main = table_name(stream.name)
        self.result = StreamResult(stream=stream.name, sync_mode=self.mode.value)
        self.changes: list[SchemaChange] = []
        self.bytes = 0
        self.started = time.monotonic()
        self.committed: dict[str, Any] = {}
        self.cursor_value: str | None = None
        self.cursor_kind: str | None = None

    def run(self) -> StreamResult:
        state = loader.get_state(self.con, self.schema, self.stream.name)
        self.con.begin()
        try:
            if self.mode == SyncMode.full_refresh:
                # most connectors read everything on a full refresh; a few use the saved state to follow
                # the same object (a renamed Google Sheets tab is found again by its sheetId)
                self._full_refresh(state if getattr(self.connector, "reads_state_on_full_refresh", False) else None)
            else:
                self._incremental(state)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return self.result

    def _batches(self, state: dict[str, Any] | None) -> Iterator[Batch]:
        batches = iter(self.connector.read(self.config, self.stream, state, self.ctx))
        try:
            for batch in batches:
                self.ctx.check_cancelled()
                yield batch
        finally:
            close = getattr(batches, "close", None)  # a generator releases its file/HTTP handles now
            if close is not None:
                close()
        self.ctx.check_cancelled()

    # -- full refresh ---------------------------------------------------------------------------

    def _full_refresh(self, prior: dict[str, Any] | None) -> None:
        stages: dict[str, str] = {}
        originals: dict[str, dict[str, str]] = {}
        null_columns: dict[str, set[str]] = {}
        new_state = None
        for batch in self._batches(prior):
            table = table_name(batch.table_name)
            with self.watcher.armed():
                staged = self._stage_full(batch, table, stages)
            originals.setdefault(table, {}).update(staged.originals)
            null_columns[table] = null_columns.get(table, staged.null_columns) & staged.null_columns
            self._count(table, staged)
            new_state = batch.state if batch.state is not None else new_state
        with self.watcher.armed():
            for table, stage in stages.items():
                self._swap(table, stage, originals[table], null_columns[table])
            self._empty_unseen(set(stages))
        if new_state is not None:
            loader.save_state(self.con, self.schema, self.stream.name, new_state)
            self.result.state = new_state

    def _stage_full(self, batch: Batch, table: str, stages: dict[str, str]) -> Staged:
        if table not in stages:
            stages[table] = loader.STAGE_PREFIX + table
            return self._stage(batch, loader.qualified(self.schema, stages[table]), temp=False)
        staged = self._stage(batch, loader.temp_name(), temp=True)
        stage_sql = loader.qualified(self.schema, stages[table])
        loader.evolve_table(self.con, stage_sql, table, staged)  # within this sync: not a warehouse change
        loader.append_into(self.con, stage_sql, staged)
        self.con.execute(f"DROP TABLE {staged.sql_name}")
        return staged

    def _swap(self, table: str, stage: str, originals: dict[str, str], null_columns: set[str]) -> None:
        if loader.table_exists(self.con, self.schema, table):
            self.changes.extend(loader.reconcile_full_refresh(self.con, self.schema, stage, table, null_columns))
        loader.swap_in(self.con, self.schema, stage, table)
        loader.record_columns(self.con, self.schema, table, originals)

    def _empty_unseen(self, seen: set[str]) -> None:
        """The source sent no rows for an existing table of this stream: mirror that (empty, schema kept)."""
        for table in self._stream_tables():
            if table not in seen:
                self.con.execute(f"DELETE FROM {loader.qualified(self.schema, table)}")
                self._note_table(table)

    def _stream_tables(self) -> list[str]:
        tables = [self.main] if loader.table_exists(self.con, self.schema, self.main) else []
        return tables + self._child_tables()

    def _child_tables(self) -> list[str]:
        prefix = f"{self.main}__"
        return [
            name
            for name in loader.list_tables(self.con, self.schema)
            if name.startswith(prefix) and "_dalgo_parent_id" in loader.table_columns(self.con, self.schema, name)
        ]

    # -- incremental ----------------------------------------------------------------------------

    def _incremental(self, state: dict[str, Any] | None) -> None:
        dedup = self.mode == SyncMode.incremental_dedup
        if dedup and not self.stream.primary_key:
            raise ConfigError(
                f"Stream '{self.stream.name}' is set to incremental dedup but has no primary key",
                hint="pick the primary key column(s) for this stream, or use incremental append",
            )
        self.committed = dict(state or {})
        tracked = self.stream.cursor_field and self.committed.get("cursor_field") == self.stream.cursor_field
        self.cursor_value = self.committed.get("cursor") if tracked else None
        self.cursor_kind = self.committed.get("cursor_kind") if tracked else None
        open_group = False
        for batch in self._batches(state):
            with self.watcher.armed():
                self._load_incremental(batch, dedup)
            open_group = True
            if batch.state is not None:
                self._save_state(batch.state)
                self.con.commit()
                self.con.begin()
                open_group = False
        if open_group:
            self._save_state(None)

    def _load_incremental(self, batch: Batch, dedup: bool) -> None:
        table = table_name(batch.table_name)
        staged = self._stage(batch, loader.temp_name(), temp=True)
        is_main = table == self.main
        cursor = self._track_cursor(staged) if is_main and self.stream.cursor_field else None
        target = loader.qualified(self.schema, table)
        if loader.table_exists(self.con, self.schema, table):
            self.changes.extend(loader.evolve_table(self.con, target, table, staged))
        else:
            loader.create_like(self.con, self.schema, table, staged)
        if dedup and is_main:
            self._merge(target, staged, cursor)
        else:
            loader.append_into(self.con, target, staged)
        loader.record_columns(self.con, self.schema, table, staged.originals)
        self.con.execute(f"DROP TABLE {staged.sql_name}")
        self._count(table, staged)

    def _track_cursor(self, staged: Staged) -> tuple[str, str]:
        name = self._resolve_column(str(self.stream.cursor_field), staged)
        kind = loader.cursor_kind(self.con, staged, self.stream.name, name)
        if self.cursor_kind not in (None, kind):
            self.cursor_value = None  # the column's values changed nature (dates → numbers): restart the max
        self.cursor_kind = kind
        self.cursor_value = loader.cursor_max(self.con, staged, name, kind, self.cursor_value)
        return name, kind

    def _merge(self, target: str, staged: Staged, cursor: tuple[str, str] | None) -> None:
        keys = [self._resolve_column(key, staged) for key in self.stream.primary_key]
        merged = loader.merge_into(self.con, target, staged, keys, cursor)
        if len(keys) == 1:
            loader.delete_children(self.con, self.schema, self._child_tables(), merged, keys[0])
        self.con.execute(f"DROP TABLE {merged}")

    def _resolve_column(self, name: str, staged: Staged) -> str:
        """Accept a column by its warehouse name or by its original name in the source."""
        if name in staged.columns:
            return name
        for safe, original in staged.originals.items():
            if original == name:
                return safe
        normalised = normalise_identifier(name)
        if normalised in staged.columns:
            return normalised
        known = ", ".join(col for col in staged.columns if not col.startswith("_dalgo_"))
        raise BadInputError(
            f"Stream '{self.stream.name}': column '{name}' is not in the data", hint=f"pick one of: {known}"
        )

    def _save_state(self, connector_state: dict[str, Any] | None) -> None:
        state = dict(connector_state if connector_state is not None else self.committed)
        if self.stream.cursor_field and "cursor" not in (connector_state or {}):
            state.update(cursor=self.cursor_value, cursor_kind=self.cursor_kind, cursor_field=self.stream.cursor_field)
        if connector_state is None and state == self.committed:
            return
        loader.save_state(self.con, self.schema, self.stream.name, state)
        self.committed = state
        self.result.state = state

    # -- shared -----------------------------------------------------------------------------------

    def _stage(self, batch: Batch, sql_name: str, *, temp: bool) -> Staged:
        return loader.stage_batch(
            self.con,
            batch.data,
            sql_name=sql_name,
            temp=temp,
            batch_id=self.batch_id,
            loaded_at=self.loaded_at,
            watcher=self.watcher,
        )

    def _on_progress(self, info: dict[str, Any]) -> None:
        """Pass progress on; a connector's "renamed" event becomes a schema change the user sees."""
        if info.get("event") == "renamed":
            old, new = info.get("old_title"), info.get("new_title")
            message = f"'{old}' was renamed to '{new}' in the source; it still loads into {self.main}"
            self.changes.append(loader.SchemaChange(self.main, "renamed", "", None, None, message))
        self._outer_progress(info)

    def _count(self, table: str, staged: Staged) -> None:
        self._note_table(table)
        self.result.rows_by_table[table] = self.result.rows_by_table.get(table, 0) + staged.rows
        self.result.rows = self.result.rows_by_table.get(self.main, 0)
        self.result.warnings.extend(staged.warnings)
        self.bytes += staged.bytes
        self.ctx.progress(
            {
                "stream": self.stream.name,
                "table": table,
                "rows": sum(self.result.rows_by_table.values()),
                "bytes": self.bytes,
                "elapsed": round(time.monotonic() - self.started, 3),
            }
        )

    def _note_table(self, table: str) -> None:
        qualified = f"{self.schema}.{table}"
        if qualified not in self.result.tables:
            self.result.tables.append(qualified)


def _unique(changes: list[SchemaChange]) -> list[SchemaChange]:
    """A column missing from every batch of a sync is one change, not one per batch."""
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for change in changes:
        key = (change.table, change.kind, change.column)
        if key not in seen:
            seen.add(key)
            unique.append(change)
    return unique
