"""Materialise one batch (Arrow table or DuckDB-native SqlScan) into a table, with the `_dalgo_*` columns."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from pipelines.connectors.base import ScanReview, SqlScan
from pipelines.duckdb_conn import quote_ident
from pipelines.errors import BadInputError, Cancelled, TerminalError
from pipelines.loading.meta import BATCH_ID, LOADED_AT, SYSTEM_COLUMNS
from pipelines.naming import normalise_columns

MAX_SCAN_ATTEMPTS = 5
ORIGINAL_NAME_KEY = b"original_name"  # Arrow field metadata a connector may set to keep the source's name


@dataclass
class Staged:
    """A batch sitting in a table of its own, ready to be appended, merged or swapped in."""

    sql_name: str  # quoted, possibly schema-qualified
    columns: dict[str, str]  # name -> DuckDB type, including the _dalgo_* columns
    originals: dict[str, str]  # safe name -> name in the source
    rows: int
    bytes: int
    null_columns: set[str] = field(default_factory=set)  # all-NULL in this batch: must not drive type changes
    warnings: list[str] = field(default_factory=list)


def safe_column_names(raw_names: list[str]) -> list[str]:
    """Normalised, unique names that never collide with the loader's own `_dalgo_loaded_at`/`_dalgo_batch_id`."""
    names = normalise_columns([str(name) for name in raw_names])
    taken = set(names)
    for position, name in enumerate(names):
        if name in SYSTEM_COLUMNS:
            candidate = f"{name}_source"
            while candidate in taken:
                candidate += "_"
            names[position] = candidate
            taken.add(candidate)
    return names


def with_original_names(table: pa.Table, column_names: dict[str, str]) -> pa.Table:
    """Tag Arrow fields with the source's names (`column_names` maps raw → normalised, as `rows_to_arrow` fills it).

    The loader stores them in `<schema>._dalgo_columns.original_name`.
    """
    originals = {safe: raw for raw, safe in column_names.items()}
    fields = [
        f.with_metadata({**(f.metadata or {}), ORIGINAL_NAME_KEY: originals[f.name].encode()})
        if f.name in originals
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def stage_batch(
    con: duckdb.DuckDBPyConnection,
    data: pa.Table | SqlScan,
    *,
    sql_name: str,
    temp: bool,
    batch_id: str,
    loaded_at: datetime,
    watcher: CancelWatcher,
) -> Staged:
    """`CREATE [TEMP] TABLE sql_name AS ...` from the batch; DuckDB does the work, Python never sees rows."""
    extra = f"TIMESTAMP '{loaded_at.isoformat(sep=' ')}' AS {LOADED_AT}, '{_sql_str(batch_id)}' AS {BATCH_ID}"
    create = "CREATE TEMP TABLE" if temp else "CREATE TABLE"
    with watcher.armed():
        if isinstance(data, SqlScan):
            return _stage_scan(con, data, sql_name, create, extra)
        return _stage_arrow(con, data, sql_name, create, extra)


def _stage_arrow(con: duckdb.DuckDBPyConnection, table: pa.Table, sql_name: str, create: str, extra: str) -> Staged:
    names = safe_column_names(table.column_names)
    originals = {name: _original_name(table.schema.field(i)) for i, name in enumerate(names)}
    nulls = {names[i] for i, column in enumerate(table.columns) if column.null_count == table.num_rows}
    view = f"_dalgo_arrow_{uuid.uuid4().hex[:12]}"
    select = ", ".join(
        f"{quote_ident(raw)} AS {quote_ident(name)}" for raw, name in zip(table.column_names, names, strict=True)
    )
    con.register(view, table)
    try:
        con.execute(f"{create} {sql_name} AS SELECT {select + ', ' if select else ''}{extra} FROM {view}")
    finally:
        con.unregister(view)
    return Staged(sql_name, relation_columns(con, sql_name), originals, table.num_rows, table.nbytes, nulls)


def _original_name(arrow_field: pa.Field) -> str:
    metadata = arrow_field.metadata or {}
    raw = metadata.get(ORIGINAL_NAME_KEY)
    return raw.decode() if raw is not None else arrow_field.name


def _stage_scan(con: duckdb.DuckDBPyConnection, scan: SqlScan, sql_name: str, create: str, extra: str) -> Staged:
    if scan.prepare is not None:
        scan = scan.prepare(con)
    warnings: list[str] = []
    for _attempt in range(MAX_SCAN_ATTEMPTS):
        con.execute(f"{create} {sql_name} AS SELECT *, {extra} FROM ({scan.sql})", scan.params)
        review = scan.review(con) if scan.review is not None else ScanReview()
        warnings.extend(review.warnings)
        if review.retry is None:
            break
        con.execute(f"DROP TABLE {sql_name}")
        scan = review.retry
    else:
        raise BadInputError(f"Could not settle on a way to read this file after {MAX_SCAN_ATTEMPTS} attempts")
    columns = relation_columns(con, sql_name)
    originals = {name: scan.original_names.get(name, name) for name in columns if name not in SYSTEM_COLUMNS}
    row = con.execute(f"SELECT count(*) FROM {sql_name}").fetchone()
    return Staged(sql_name, columns, originals, int(row[0]) if row else 0, scan.source_bytes, warnings=warnings)


def relation_columns(con: duckdb.DuckDBPyConnection, sql_name: str) -> dict[str, str]:
    """{column: type} of any table or view, temporary ones included."""
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {sql_name}").fetchall()}


def temp_name(prefix: str = "_dalgo_tmp") -> str:
    return quote_ident(f"{prefix}_{uuid.uuid4().hex[:12]}")


class CancelWatcher:
    """Interrupts the running DuckDB statement (e.g. a 2 GB CSV scan) as soon as the user cancels.

    One polling thread per sync; statements opt in with `with watcher.armed():` so an interrupt can
    never hit a statement outside that block (the ROLLBACK that follows a cancel, for instance).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, cancel_event: threading.Event) -> None:
        self._con = con
        self._event = cancel_event
        self._lock = threading.Lock()
        self._armed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="dalgo-cancel-watch", daemon=True)

    def __enter__(self) -> CancelWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        # waits on the stop event, so the end of a sync never waits for a poll interval
        while not self._stop.wait(0.05):
            if self._event.is_set():
                with self._lock:
                    if self._armed:
                        self._con.interrupt()

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Run DuckDB statements that may be interrupted; map DuckDB errors to engine errors."""
        with self._lock:
            self._armed = True
        try:
            yield
        except duckdb.InterruptException as err:
            raise Cancelled() from err
        except duckdb.Error as err:
            if self._event.is_set():
                raise Cancelled() from err
            raise TerminalError(f"DuckDB could not load the batch: {_first_line(err)}") from err
        finally:
            with self._lock:
                self._armed = False


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _sql_str(value: str) -> str:
    return value.replace("'", "''")
