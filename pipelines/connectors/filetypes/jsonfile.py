"""JSON (an array of records, or an object holding one) and NDJSON (one record per line) → Arrow batches.

Nested objects become columns and arrays of objects child tables, through `connectors.records` (shared with
every API connector, so a Kobo export and the Kobo API land the same way). The file is streamed: NDJSON line
by line, a JSON array element by element through DuckDB's `read_json_objects`; Python holds one batch.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.connectors.filetypes.common import check_not_empty_or_foreign
from pipelines.connectors.filetypes.limits import FileLimits, check_json_depth, reading, too_deep
from pipelines.connectors.records import ROW_ID, flatten_record, records_to_tables, rows_to_arrow
from pipelines.errors import BadInputError
from pipelines.loading.stage import with_original_names
from pipelines.naming import normalise_identifier

FORMATS = ["auto", "array", "ndjson"]
_MAX_OBJECT = 2**32 - 1  # DuckDB's largest `maximum_object_size`


def detect_format(path: Path, requested: str, limits: FileLimits | None = None) -> str:
    """array | object | ndjson, from the option, the extension, then the first bytes."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    check_not_empty_or_foreign(path, head, "JSON")
    if requested in ("array", "ndjson"):
        return requested
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        return "ndjson"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "array"
    if not text.startswith("{"):
        raise BadInputError(
            f"File '{path.name}' is not JSON (it does not start with '[' or '{{')",
            hint="upload a .json or .ndjson file",
        )
    first, _, rest = text.partition("\n")
    try:
        _parse(first, path, "line 1", limits or FileLimits())
        return "ndjson" if rest.lstrip().startswith("{") else "object"
    except BadInputError as err:
        if isinstance(err.__cause__, json.JSONDecodeError):
            return "object"
        raise


def iter_records(
    path: Path, fmt: str, records_path: str | None, chunk: int, limits: FileLimits | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Lists of at most `chunk` records, in file order; a record nested deeper than the limit is refused."""
    limits = limits or FileLimits()
    if fmt == "ndjson":
        yield from _ndjson(path, chunk, limits)
    else:
        yield from _duckdb_records(path, fmt, records_path, chunk, limits)


def _ndjson(path: Path, chunk: int, limits: FileLimits) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    number = 0
    try:
        with path.open("r", encoding="utf-8-sig", errors="strict") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                batch.append(_parse(line, path, f"line {number}", limits))
                if len(batch) >= chunk:
                    yield batch
                    batch = []
    except UnicodeDecodeError as err:
        raise BadInputError(
            f"File '{path.name}' is not UTF-8 text (after line {number})", hint="save it as UTF-8 JSON"
        ) from err
    if batch:
        yield batch


def _parse(text: str, path: Path, where: str, limits: FileLimits) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadInputError(
            f"File '{path.name}': {where} is not valid JSON ({err.msg} at column {err.colno})",
            hint="fix or remove that record and upload the file again",
        ) from err
    except RecursionError as err:  # Python's parser recurses per level: far deeper than any limit we allow
        raise too_deep(path, where, limits) from err
    # fewer opening brackets than the limit cannot nest deeper than it: skip the walk for ordinary records
    if text.count("{") + text.count("[") > limits.max_json_depth and check_json_depth(value, limits):
        raise too_deep(path, where, limits)
    if not isinstance(value, dict):
        raise BadInputError(
            f"File '{path.name}': {where} is a {type(value).__name__}, not a JSON object (a record)",
            hint="each record must be an object {...}",
        )
    return value


def _duckdb_records(
    path: Path, fmt: str, records_path: str | None, chunk: int, limits: FileLimits
) -> Iterator[list[dict[str, Any]]]:
    with reading(path, limits) as con:
        try:
            sql, params = _records_sql(con, path, fmt, records_path)
            result = con.execute(sql, params)
            position = 0
            while rows := result.fetchmany(chunk):
                records = []
                for (text,) in rows:
                    position += 1
                    records.append(_parse(text, path, f"record {position}", limits))
                yield records
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.Error as err:
            raise BadInputError(
                f"File '{path.name}' is not valid JSON: {str(err).splitlines()[0]}",
                hint="check the file opens in a JSON viewer",
            ) from err


def _records_sql(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, records_path: str | None
) -> tuple[str, list[Any]]:
    size = min(max(path.stat().st_size + 1, 1 << 24), _MAX_OBJECT)
    if fmt == "array" and not records_path:
        return f"SELECT CAST(json AS VARCHAR) FROM read_json_objects(?, format='array', maximum_object_size={size})", [
            str(path)
        ]
    source = f"read_json_objects(?, format='unstructured', maximum_object_size={size})"
    pointer = _pointer(records_path) if records_path else _find_records(con, path, source)
    if pointer is None:  # one object, no list of records inside: it is the single record
        return f"SELECT CAST(json AS VARCHAR) FROM {source}", [str(path)]
    return f"SELECT CAST(unnest(CAST(json_extract(json, ?) AS JSON[])) AS VARCHAR) FROM {source}", [pointer, str(path)]


def _pointer(records_path: str) -> str:
    """`data.items` or `$.data.items` → a JSONPath DuckDB understands."""
    path = records_path.strip()
    if path.startswith("$"):
        return path
    return "$." + ".".join(part for part in path.strip(".").split(".") if part)


def _find_records(con: duckdb.DuckDBPyConnection, path: Path, source: str) -> str | None:
    rows = con.execute(
        f"SELECT key, json_type(value) FROM {source} AS doc, json_each(doc.json)", [str(path)]
    ).fetchall()
    arrays = [key for key, kind in rows if kind == "ARRAY"]
    if len(arrays) == 1:
        return "$." + json.dumps(arrays[0]) if not arrays[0].isidentifier() else f"$.{arrays[0]}"
    return None


class RecordBatcher:
    """Records → one Arrow table per output table, with stable column names and row ids across batches."""

    def __init__(self, stream: str, key_field: str | None, id_prefix: str | None = None) -> None:
        self.stream = stream
        self.key_field = key_field
        self.id_prefix = id_prefix or stream  # row ids must not repeat across syncs of new file versions
        self.position = 0
        self.names: dict[str, dict[str, str]] = {}

    def tables(self, records: list[dict[str, Any]]) -> dict[str, pa.Table]:
        if self.key_field is None:
            for record in records:
                self.position += 1
                record.setdefault(ROW_ID, f"{self.id_prefix}:{self.position}")
        by_table = records_to_tables(self.stream, records, key_field=self.key_field or ROW_ID)
        out = {}
        for table, rows in by_table.items():
            if rows:
                mapping = self.names.setdefault(table, {})
                out[table] = with_original_names(rows_to_arrow(rows, mapping), mapping)
        return out


def raw_key_for(records: list[dict[str, Any]], column: str) -> str | None:
    """The top-level JSON key whose normalised name is `column` (a primary key picked in the UI)."""
    for record in records:
        for key in record:
            if normalise_identifier(str(key)) == column:
                return str(key)
    return None


class CursorFilter:
    """Keeps records whose cursor is above the committed one (incremental JSON syncs)."""

    def __init__(self, cursor: str | None, state: dict[str, Any] | None) -> None:
        state = state or {}
        usable = cursor and state.get("cursor_field") == cursor and state.get("cursor") is not None
        self.cursor = cursor if usable else None
        self.kind = state.get("cursor_kind") or "temporal"
        self.floor = _comparable(state.get("cursor"), self.kind) if usable else None

    def keep(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.cursor is None or self.floor is None:
            return records
        kept = []
        for record in records:
            flat, _children = flatten_record(record)
            raw = next((v for k, v in flat.items() if normalise_identifier(k.replace("/", "_")) == self.cursor), None)
            value = _comparable(raw, self.kind)
            if value is None or value > self.floor:  # unreadable cursors go through: the loader reports them
                kept.append(record)
        return kept


def _comparable(value: Any, kind: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "numeric":
            return float(value)
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None
