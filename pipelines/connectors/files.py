"""File connectors: CSV/TSV, Excel (.xlsx), JSON/NDJSON and Parquet.

Config names an upload: `{"upload_id": "...", ...options}`, the single file in `uploads_dir/<upload_id>/`;
in the desktop app (`ctx.allow_local_paths`) `{"path": "/abs/file"}` works too. CSV, Excel and Parquet
hand the loader a DuckDB-native `SqlScan` (no Python rows); JSON goes through `connectors.records`.
A file is one stream (an Excel workbook: one per sheet); a re-uploaded file with another name still loads
into the stream the source was set up with. A header-only file is a table with its columns and 0 rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SqlScan, Stream, SyncMode
from pipelines.connectors.filetypes import csvfile, excelfile, jsonfile
from pipelines.connectors.filetypes.common import (
    ALL_MODES,
    cursor_filter,
    describe_stream,
    resolve_file,
    stream_name_for,
    upload_spec,
)
from pipelines.connectors.filetypes.encoding import ENCODINGS
from pipelines.connectors.filetypes.limits import FileLimits, reading
from pipelines.errors import BadInputError
from pipelines.loading.stage import safe_column_names


def _spec(title: str, description: str, options: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": title,
        "description": description,
        "properties": {**upload_spec(), **options},
        "anyOf": [{"required": ["upload_id"]}, {"required": ["path"]}],
        "additionalProperties": False,
    }


def _incremental_cursor(stream: ConfiguredStream) -> str | None:
    return stream.cursor_field if stream.sync_mode != SyncMode.full_refresh else None


def _file_state(config: dict[str, Any], path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"file": f"{config.get('upload_id') or path}:{stat.st_size}:{stat.st_mtime_ns}"}


def _unchanged(stream: ConfiguredStream, state: dict[str, Any] | None, current: dict[str, Any]) -> bool:
    """Incremental sync without a cursor: a file already loaded whole has nothing new."""
    return (
        stream.sync_mode != SyncMode.full_refresh
        and not stream.cursor_field
        and (state or {}).get("file") == current["file"]
    )


def _scratch_dir(config: dict[str, Any], path: Path) -> Path | None:
    return path.parent if config.get("upload_id") else None  # never write next to a user's own file


class CsvConnector:
    """CSV and TSV files, read by DuckDB's `read_csv` (delimiter, quoting, header and types sniffed)."""

    type: ClassVar[str] = "csv"
    name: ClassVar[str] = "CSV / TSV file"
    api_version: ClassVar[str] = "RFC 4180 text files via DuckDB read_csv 1.5"

    def spec(self) -> dict[str, Any]:
        return _spec(
            "CSV / TSV file",
            "A comma, semicolon, tab or pipe separated text file.",
            {
                "delimiter": {
                    "type": "string",
                    "title": "Delimiter",
                    "description": "Character between values. 'auto' detects , ; | and tab.",
                    "default": "auto",
                    "examples": ["auto", ",", ";", "\\t", "|"],
                },
                "quote": {
                    "type": "string",
                    "title": "Quote character",
                    "description": "Character around values that contain the delimiter; 'auto' detects it, 'none' for no quoting.",
                    "default": "auto",
                    "examples": ["auto", '"', "'", "none"],
                },
                "header": {
                    "type": "string",
                    "title": "First row is a header",
                    "description": "Whether the first (non-skipped) row holds column names.",
                    "enum": ["auto", "yes", "no"],
                    "default": "auto",
                },
                "encoding": {
                    "type": "string",
                    "title": "Encoding",
                    "description": "Text encoding; auto-detect handles UTF-8 (with or without BOM), UTF-16, Windows-1252 and Latin-1.",
                    "enum": ENCODINGS,
                    "default": "auto",
                },
                "skip_rows": {
                    "type": "integer",
                    "title": "Rows to skip",
                    "description": "Lines to skip at the top (titles, notes) before the header.",
                    "minimum": 0,
                    "default": 0,
                },
            },
        )

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        path = resolve_file(config, ctx)
        csvfile.plan_csv(path, config, _scratch_dir(config, path), ctx.file_limits)

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        path = resolve_file(config, ctx)
        plan = csvfile.plan_csv(path, config, _scratch_dir(config, path), ctx.file_limits)
        description = f"{path.name} ({plan.encoding.label}, delimiter {plan.delimiter!r}, {len(plan.names)} columns)"
        with reading(path, ctx.file_limits) as con:
            sql = csvfile.read_csv_sql(plan, tolerant=True)
            return [
                describe_stream(con, stream_name_for(path), sql, [str(plan.read_path)], plan.originals, description)
            ]

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        path = resolve_file(config, ctx)
        current = _file_state(config, path)
        if _unchanged(stream, state, current):
            return
        plan = csvfile.plan_csv(path, config, _scratch_dir(config, path), ctx.file_limits)
        yield Batch(stream.name, csvfile.csv_scan(plan, cursor=_incremental_cursor(stream), state=state), state=current)


class ExcelConnector:
    """Excel .xlsx workbooks: every worksheet is a stream; header rows (even two merged rows) are found."""

    type: ClassVar[str] = "excel"
    name: ClassVar[str] = "Excel workbook (.xlsx)"
    api_version: ClassVar[str] = "Office Open XML .xlsx via openpyxl 3.1 + DuckDB read_xlsx 1.5"

    def spec(self) -> dict[str, Any]:
        return _spec(
            "Excel workbook",
            "An .xlsx workbook. Each sheet becomes a table; title rows above the header are skipped.",
            {
                "sheets": {
                    "type": "array",
                    "items": {"type": "string"},
                    "title": "Sheets",
                    "description": "Sheets to offer as streams (by name). Empty means every sheet.",
                    "default": [],
                },
                "header_row": {
                    "type": "integer",
                    "title": "Header row",
                    "description": "Row number of the header. 0 detects it (the first row of mostly text cells).",
                    "minimum": 0,
                    "default": 0,
                },
            },
        )

    def _plans(self, config: dict[str, Any], ctx: ReadContext) -> tuple[Path, list[excelfile.SheetPlan]]:
        path = resolve_file(config, ctx)
        workbook = excelfile.open_workbook(path, ctx.file_limits)
        try:
            header_row = int(config.get("header_row") or 0)
            plans = excelfile.plan_sheets(path, workbook, header_row=header_row, limits=ctx.file_limits)
        finally:
            workbook.close()
        wanted = set(config.get("sheets") or [])
        return path, [plan for plan in plans if not wanted or plan.sheet in wanted]

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        path, plans = self._plans(config, ctx)
        if not plans:
            raise BadInputError(
                f"Workbook '{path.name}' has no sheet with data", hint="check the file, or the sheet names picked"
            )

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        path, plans = self._plans(config, ctx)
        with reading(path, ctx.file_limits) as con:
            return [self._describe(con, path, plan) for plan in plans]

    def _describe(self, con: duckdb.DuckDBPyConnection, path: Path, plan: excelfile.SheetPlan) -> Stream:
        sample = excelfile.sample_table(plan)
        con.register("_dalgo_sheet_sample", sample)
        description = f"Sheet '{plan.sheet}' of {path.name}, header on row {plan.first_data_row - 1 or 'none'}"
        stream = describe_stream(con, plan.stream, "SELECT * FROM _dalgo_sheet_sample", [], plan.originals, description)
        con.unregister("_dalgo_sheet_sample")
        return stream

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        path, plans = self._plans(config, ctx)
        current = _file_state(config, path)
        if _unchanged(stream, state, current):
            return
        plan, note = _sheet_for(stream.name, plans, path)
        scan = excelfile.excel_scan(path, plan, cursor=_incremental_cursor(stream), state=state, note=note)
        yield Batch(stream.name, scan, state=current)


def _sheet_for(stream: str, plans: list[excelfile.SheetPlan], path: Path) -> tuple[excelfile.SheetPlan, str | None]:
    for plan in plans:
        if stream in (plan.stream, plan.sheet):
            return plan, None
    if len(plans) == 1:  # the only sheet was renamed: follow it, and say so
        return (
            plans[0],
            f"Sheet for stream '{stream}' was not found in {path.name}; read its only sheet '{plans[0].sheet}' (renamed?)",
        )
    sheets = ", ".join(repr(plan.sheet) for plan in plans)
    raise BadInputError(
        f"Workbook '{path.name}' has no sheet for stream '{stream}' (sheets: {sheets})",
        hint="the sheet may have been renamed: run Discover again and pick it",
    )


class JsonConnector:
    """JSON files (an array of records, or an object holding one) and NDJSON (one record per line)."""

    type: ClassVar[str] = "json"
    name: ClassVar[str] = "JSON / NDJSON file"
    api_version: ClassVar[str] = "RFC 8259 JSON and NDJSON (JSON Lines)"

    def spec(self) -> dict[str, Any]:
        return _spec(
            "JSON / NDJSON file",
            "Nested objects become columns (a__b); lists of objects become child tables linked by _dalgo_parent_id.",
            {
                "format": {
                    "type": "string",
                    "title": "Format",
                    "description": "array: [ {...}, {...} ]; ndjson: one {...} per line; auto detects.",
                    "enum": jsonfile.FORMATS,
                    "default": "auto",
                },
                "records_path": {
                    "type": "string",
                    "title": "Records path",
                    "description": "Where the list of records is inside the file, e.g. 'data.items'. Empty: the top level, or the only list in it.",
                    "default": "",
                },
            },
        )

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        self._sample(config, ctx)

    def _sample(self, config: dict[str, Any], ctx: ReadContext) -> tuple[Path, list[dict[str, Any]]]:
        path = resolve_file(config, ctx)
        fmt = jsonfile.detect_format(path, str(config.get("format") or "auto"), ctx.file_limits)
        records_path = config.get("records_path") or None
        records = next(iter(jsonfile.iter_records(path, fmt, records_path, 1000, ctx.file_limits)), [])
        return path, records

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        path, records = self._sample(config, ctx)
        name = stream_name_for(path)
        tables = jsonfile.RecordBatcher(name, jsonfile.raw_key_for(records, "id")).tables(records)
        with reading(path, ctx.file_limits) as con:
            main = tables.get(name) or pa.table({})
            con.register("_dalgo_json_sample", main)
            originals = _originals(main)
            stream = describe_stream(
                con,
                name,
                "SELECT * FROM _dalgo_json_sample",
                [],
                originals,
                f"{path.name}, {len(records)} records sampled",
            )
            stream.children = [table for table in tables if table != name]
            return [stream]

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        path = resolve_file(config, ctx)
        current = _file_state(config, path)
        if _unchanged(stream, state, current):
            return
        fmt = jsonfile.detect_format(path, str(config.get("format") or "auto"), ctx.file_limits)
        cursor = jsonfile.CursorFilter(_incremental_cursor(stream), state)
        batcher: jsonfile.RecordBatcher | None = None
        pending: list[Batch] = []
        records_path = config.get("records_path") or None
        for records in jsonfile.iter_records(path, fmt, records_path, ctx.batch_rows, ctx.file_limits):
            ctx.check_cancelled()
            if batcher is None:
                key = jsonfile.raw_key_for(records, stream.primary_key[0]) if len(stream.primary_key) == 1 else None
                prefix = hashlib.sha1(current["file"].encode()).hexdigest()[:10]
                batcher = jsonfile.RecordBatcher(stream.name, key, prefix)
            yield from pending
            pending = [Batch(table, data) for table, data in batcher.tables(cursor.keep(records)).items()]
        if pending:  # the file's state goes with its last batch: a crash mid-file reloads the file
            pending[-1].state = current
        yield from pending


def _originals(table: pa.Table) -> dict[str, str]:
    originals = {}
    for arrow_field in table.schema:
        raw = (arrow_field.metadata or {}).get(b"original_name")
        originals[arrow_field.name] = raw.decode() if raw else arrow_field.name
    return originals


class ParquetConnector:
    """Parquet files, read by DuckDB's native `read_parquet`."""

    type: ClassVar[str] = "parquet"
    name: ClassVar[str] = "Parquet file"
    api_version: ClassVar[str] = "Apache Parquet 2.x via DuckDB read_parquet 1.5"

    def spec(self) -> dict[str, Any]:
        return _spec("Parquet file", "A columnar .parquet file (e.g. exported from another warehouse).", {})

    def _columns(self, path: Path, limits: FileLimits) -> dict[str, str]:
        with reading(path, limits) as con:
            try:
                rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
            except duckdb.OutOfMemoryException:
                raise
            except duckdb.Error as err:
                raise BadInputError(
                    f"File '{path.name}' is not a readable Parquet file: {str(err).splitlines()[0]}",
                    hint="re-export it as Parquet or CSV",
                ) from err
        return {row[0]: row[1] for row in rows}

    def _select(self, path: Path, limits: FileLimits) -> tuple[str, dict[str, str], dict[str, str]]:
        raw_columns = self._columns(path, limits)
        names = safe_column_names(list(raw_columns))
        select = ", ".join(
            f'"{raw.replace(chr(34), chr(34) * 2)}" AS "{name}"' for raw, name in zip(raw_columns, names, strict=True)
        )
        types = dict(zip(names, raw_columns.values(), strict=True))
        return f"SELECT {select} FROM read_parquet(?)", dict(zip(names, raw_columns, strict=True)), types

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        self._columns(resolve_file(config, ctx), ctx.file_limits)

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        path = resolve_file(config, ctx)
        sql, originals, _types = self._select(path, ctx.file_limits)
        with reading(path, ctx.file_limits) as con:
            return [describe_stream(con, stream_name_for(path), sql, [str(path)], originals, path.name)]

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        path = resolve_file(config, ctx)
        current = _file_state(config, path)
        if _unchanged(stream, state, current):
            return
        sql, originals, types = self._select(path, ctx.file_limits)
        filtered, extra = cursor_filter(sql, types, _incremental_cursor(stream), state)
        yield Batch(stream.name, SqlScan(filtered, [str(path), *extra], originals, path.stat().st_size), state=current)


__all__ = ["ALL_MODES", "CsvConnector", "ExcelConnector", "JsonConnector", "ParquetConnector"]
