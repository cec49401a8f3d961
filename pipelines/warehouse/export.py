"""Arrow glue for warehouses without a native exporter: rows → Arrow batches → CSV, Parquet or XLSX."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.warehouse.base import ColumnInfo, ExportFormat, is_tz_aware

XLSX_MAX_CELL = 32_767  # Excel refuses longer cell text


def arrow_type(column: ColumnInfo, dialect: str) -> pa.DataType:
    """The Arrow type a column's values are carried in (nested and exotic types travel as JSON text)."""
    if column.kind == "integer":
        return pa.int64()
    if column.kind == "number":
        return pa.float64()
    if column.kind == "boolean":
        return pa.bool_()
    if column.kind == "date":
        return pa.date32()
    if column.kind == "datetime":
        return pa.timestamp("us", tz="UTC" if is_tz_aware(dialect, column) else None)
    return pa.string()


def arrow_schema(columns: Sequence[ColumnInfo], dialect: str) -> pa.Schema:
    """An Arrow schema for rows fetched from a DB-API cursor."""
    return pa.schema([pa.field(c.name, arrow_type(c, dialect)) for c in columns])


def rows_to_batch(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.RecordBatch:
    """DB-API rows → one Arrow batch of `schema`."""
    arrays = []
    for index, field in enumerate(schema):
        values = [row[index] for row in rows]
        if pa.types.is_string(field.type):
            values = [as_text(v) for v in values]
        elif pa.types.is_floating(field.type):
            values = [float(v) if isinstance(v, Decimal) else v for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def as_batches(items: Iterable[pa.RecordBatch | pa.Table]) -> Iterator[pa.RecordBatch]:
    """Tables and batches as a stream of batches."""
    for item in items:
        if isinstance(item, pa.Table):
            yield from item.to_batches()
        else:
            yield item


def flat_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with nested columns as JSON text: CSV and Excel hold only flat values."""
    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_nested(f.type) else f for f in schema])


def flatten_batch(batch: pa.RecordBatch, flat: pa.Schema) -> pa.RecordBatch:
    """Nested columns of `batch` turned into JSON text to match `flat`."""
    if batch.schema.equals(flat):
        return batch
    arrays = []
    for column in batch.columns:
        if pa.types.is_nested(column.type):
            column = pa.array([as_text(v) for v in column.to_pylist()], type=pa.string())
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=flat)


def write_batches(batches: Iterable[pa.RecordBatch], schema: pa.Schema, fmt: ExportFormat, path: Path) -> int:
    """Stream batches into one file; returns the rows written."""
    if fmt == "parquet":
        with pq.ParquetWriter(path, schema) as writer:
            return _drain(batches, writer.write_batch, None)
    flat = flat_schema(schema)
    if fmt == "csv":
        with pacsv.CSVWriter(path, flat) as csv_writer:
            return _drain(batches, csv_writer.write_batch, flat)
    return _write_xlsx(batches, flat, path)


def _drain(batches: Iterable[pa.RecordBatch], write: Any, flat: pa.Schema | None) -> int:
    rows = 0
    for batch in batches:
        write(flatten_batch(batch, flat) if flat is not None else batch)
        rows += batch.num_rows
    return rows


def _write_xlsx(batches: Iterable[pa.RecordBatch], flat: pa.Schema, path: Path) -> int:
    """Write-only openpyxl: memory stays flat however many rows."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(flat.names)
    rows = 0
    for batch in batches:
        columns = [c.to_pylist() for c in flatten_batch(batch, flat).columns]
        for row in zip(*columns, strict=True):
            sheet.append([_cell(v) for v in row])
        rows += batch.num_rows
    book.save(path)
    return rows


def _cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; values are UTC
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL]
    return value
