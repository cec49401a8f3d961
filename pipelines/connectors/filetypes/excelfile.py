"""Excel `.xlsx`: every worksheet a stream. openpyxl (read-only) looks at the top of each sheet to find the
header row(s) and what kind of values each column holds; DuckDB's `read_xlsx` then reads the rows natively.

Why both: `read_xlsx` is ~15x faster than openpyxl on big sheets, but it guesses types from the first data
row only (a "n/a" further down fails the read, or with `ignore_errors` silently becomes NULL) and, reading
everything as text, it turns dates into serial numbers. So rows are read as text by DuckDB and typed in
SQL: a pre-pass over the whole sheet checks every value casts before a column gets a number/date type;
otherwise it stays text and nothing is lost. Merged header cells come from the sheet XML (openpyxl's
read-only mode does not expose them), streamed so a big sheet is never held in memory.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.connectors.base import ScanReview, SqlScan
from pipelines.connectors.filetypes.common import check_not_empty_or_foreign, cursor_filter
from pipelines.connectors.filetypes.limits import FileLimits, GuardedXml, check_xlsx, human_count
from pipelines.duckdb_conn import quote_ident
from pipelines.errors import BadInputError
from pipelines.loading.stage import safe_column_names
from pipelines.naming import normalise_columns

SAMPLE_ROWS = 1000
HEADER_SEARCH_ROWS = 30
MAX_COLUMNS = 16_384  # Excel's own limit (XFD)
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_EXCEL_EPOCH = "TIMESTAMP '1899-12-30 00:00:00'"
_ARROW_TYPES = {
    "datetime": pa.timestamp("us"),
    "date": pa.timestamp("us"),
    "time": pa.time64("us"),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
}
_KIND_TYPES = {
    "datetime": "TIMESTAMP",
    "date": "DATE",
    "time": "TIME",
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "float": "DOUBLE",
}


@dataclass
class SheetPlan:
    """Where a sheet's table starts and what its columns are."""

    sheet: str
    stream: str
    first_data_row: int  # 1-based
    names: list[str]
    originals: dict[str, str]
    kinds: dict[str, str]  # name -> datetime|date|time|bool|int|float|text|empty, from the sample
    sample: list[list[Any]] = field(default_factory=list)
    seen_width: int = 0  # columns with a header or sampled data; the rest only exist in the sheet's dimension


def open_workbook(path: Path, limits: FileLimits | None = None) -> Any:
    """An openpyxl read-only workbook within `limits`, or a BadInputError saying what the file really is."""
    import openpyxl

    with path.open("rb") as handle:
        head = handle.read(4096)
    check_not_empty_or_foreign(path, head if not head.startswith(b"PK\x03\x04") else b"xlsx", "Excel")
    if not head.startswith(b"PK\x03\x04"):
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        what = (
            "an HTML page"
            if text.startswith((b"<", b"<!doctype")) or b"<html" in text or b"<table" in text
            else "not an Excel workbook"
        )
        raise BadInputError(
            f"File '{path.name}' is named like an Excel file but is {what}",
            hint="open it in Excel and use Save As → Excel Workbook (.xlsx), or export the data as CSV",
        )
    limits = limits or FileLimits()
    check_xlsx(path, limits)  # sizes, ratios and shared strings, before openpyxl holds any of it
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zip, XML and key errors for broken files
        raise BadInputError(
            f"File '{path.name}' is a damaged or unsupported Excel file ({type(err).__name__})",
            hint="open and re-save it in Excel, or export it as CSV",
        ) from err
    for ws in workbook.worksheets:
        _guard_sheet(ws, path, limits)
    return workbook


def _guard_sheet(ws: Any, path: Path, limits: FileLimits) -> None:
    """Read the sheet's XML through a guard against one cell's inline text outgrowing Excel's limit."""
    sheet_xml = getattr(ws, "_worksheet_path", None)
    archive = getattr(getattr(ws, "parent", None), "_archive", None)
    if sheet_xml is None or archive is None:
        return
    # openpyxl 3.1's read-only sheet opens its XML through `_get_source`; the guard wraps that stream
    ws._get_source = lambda: GuardedXml(archive.open(sheet_xml), path, ws.title, limits)


def plan_sheets(path: Path, workbook: Any, *, header_row: int = 0, limits: FileLimits | None = None) -> list[SheetPlan]:
    """One plan per worksheet that holds any value, named by its normalised sheet name.

    `header_row` (1-based) forces the header row; 0 detects it.
    """
    limits = limits or FileLimits()
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
    streams = normalise_columns([ws.title for ws in sheets])
    plans = []
    for ws, stream in zip(sheets, streams, strict=True):
        rows = _sample_rows(ws, path, limits)
        if any(value is not None for row in rows for value in row):
            # openpyxl's read-only sheets do not expose merged cells; the sheet's XML part does
            merges = _merges(path, getattr(ws, "_worksheet_path", None))
            plan = _plan_sheet(ws.title, stream, rows, merges, header_row, getattr(ws, "max_column", None))
            plans.append(plan)
    return plans


def _sample_rows(ws: Any, path: Path, limits: FileLimits) -> list[list[Any]]:
    """The top rows of a sheet, stopping before their text outgrows the budget (one text fills many cells)."""
    rows: list[list[Any]] = []
    budget = limits.sample_text_chars
    for row in ws.iter_rows(max_row=SAMPLE_ROWS + HEADER_SEARCH_ROWS, values_only=True):
        budget -= sum(len(value) for value in row if isinstance(value, str))
        if budget < 0:
            break
        rows.append(list(row))
    if not rows and budget < 0:
        raise BadInputError(
            f"Sheet '{ws.title}' of '{path.name}' holds more than {human_count(limits.sample_text_chars)} "
            "characters in its first row; this server reads less per row",
            hint="split the sheet, or export it as CSV",
        )
    return rows


def _plan_sheet(
    sheet: str,
    stream: str,
    rows: list[list[Any]],
    merges: list[tuple[int, int, int, int]],
    header_row: int,
    dimension_width: int | None,
) -> SheetPlan:
    seen = max((_last_filled(row) for row in rows), default=0)
    # values may sit right of everything sampled, further down: read up to the sheet's declared width too
    width = max(seen, min(dimension_width or 0, MAX_COLUMNS))
    rows = [(row + [None] * width)[:width] for row in rows]
    header = header_row - 1 if 0 < header_row <= len(rows) else _header_row(rows, width, merges)
    if header is None:
        raw = [f"column_{i + 1}" for i in range(width)]
        data_start = 0
    else:
        two_rows = _two_row_header(rows, header, merges)
        raw = _header_names(rows, header, two_rows, merges, width)
        data_start = header + (2 if two_rows else 1)
    names = safe_column_names(raw)
    sample = rows[data_start : data_start + SAMPLE_ROWS]
    kinds = {name: _kind([row[i] for row in sample]) for i, name in enumerate(names)}
    originals = dict(zip(names, raw, strict=True))
    return SheetPlan(sheet, stream, data_start + 1, names, originals, kinds, sample, seen)


def _last_filled(row: list[Any]) -> int:
    for index in range(len(row) - 1, -1, -1):
        if row[index] is not None and str(row[index]).strip() != "":
            return index + 1
    return 0


def _header_like(row: list[Any], width: int) -> bool:
    filled = [v for v in row if v is not None and str(v).strip() != ""]
    texts = [v for v in filled if isinstance(v, str)]
    return len(filled) >= max(1, (width + 1) // 2) and len(texts) >= 0.8 * len(filled)


def _header_row(rows: list[list[Any]], width: int, merges: list[tuple[int, int, int, int]]) -> int | None:
    """The first row with mostly non-empty text cells, merged cells counted full (title rows are skipped)."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if _header_like(_filled_across(row, index + 1, merges, width, guess=False), width):
            return index
    return None


def _two_row_header(rows: list[list[Any]], header: int, merges: list[tuple[int, int, int, int]]) -> bool:
    """A second header row sits under a top row that has merged (or gappy) group titles."""
    if header + 1 >= len(rows) or not _header_like(rows[header + 1], len(rows[header])):
        return False
    after = rows[header + 2] if header + 2 < len(rows) else None
    if after is not None and _header_like(after, len(after)) and all(isinstance(v, str) or v is None for v in after):
        return False  # three text rows in a row: this is data that happens to be text
    top_row = header + 1
    merged_top = any(r1 == top_row and c2 > c1 for r1, c1, _r2, c2 in merges)
    gaps = _last_filled(rows[header]) > sum(1 for v in rows[header] if v not in (None, ""))
    return merged_top or gaps


def _header_names(
    rows: list[list[Any]], header: int, two_rows: bool, merges: list[tuple[int, int, int, int]], width: int
) -> list[str]:
    top = _filled_across(rows[header], header + 1, merges, width, guess=two_rows)
    if not two_rows:
        return [_text(v) for v in top]
    bottom = rows[header + 1]
    return ["_".join(part for part in (_text(a), _text(b)) if part) for a, b in zip(top, bottom, strict=True)]


def _filled_across(
    row: list[Any], row_number: int, merges: list[tuple[int, int, int, int]], width: int, *, guess: bool
) -> list[Any]:
    """Copy a merged header cell's text into every column it spans; `guess` forward-fills gaps without merges."""
    values = list(row)
    spans = [(c1, c2) for r1, c1, _r2, c2 in merges if r1 == row_number and c2 > c1]
    if spans:
        for c1, c2 in spans:
            for column in range(c1, min(c2, width)):
                values[column] = values[c1 - 1]
        return values
    if not guess:
        return values
    for index in range(1, width):
        if values[index] in (None, "") and index < _last_filled(row):
            values[index] = values[index - 1]
    return values


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _kind(values: list[Any]) -> str:
    kinds = {_value_kind(v) for v in values if v is not None and v != ""}
    if not kinds:
        return "empty"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"int", "float"}:
        return "float"
    if kinds <= {"datetime", "date"}:
        return "datetime"
    return "text"


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "date" if value.time() == dt.time(0) else "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    return "text"


def _merges(path: Path, sheet_xml: str | None) -> list[tuple[int, int, int, int]]:
    """Merged ranges (row1, col1, row2, col2; 1-based) from the sheet XML, scanned in 1 MB chunks."""
    if not sheet_xml:
        return []
    found: list[tuple[int, int, int, int]] = []
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(sheet_xml.lstrip("/")) as xml:
        while chunk := xml.read(1 << 20):
            data = tail + chunk
            found.extend((int(r1), _col(c1), int(r2), _col(c2)) for c1, r1, c2, r2 in _MERGE.findall(data))
            tail = data[-200:] if not data.endswith(b">") else b""
    return sorted(set(found))


def _col(letters: bytes) -> int:
    number = 0
    for char in letters.decode():
        number = number * 26 + ord(char) - 64
    return number


def sample_table(plan: SheetPlan) -> pa.Table:
    """The sampled rows as typed Arrow columns, for discover (the load itself types the whole sheet)."""
    arrays = {}
    for index, name in enumerate(plan.names[: plan.seen_width]):
        values = [row[index] if index < len(row) else None for row in plan.sample]
        kind = plan.kinds[name]
        if kind in ("text", "empty"):
            values = [None if v is None else str(v) for v in values]
        else:
            values = [None if v == "" else _as_datetime(v) if kind in ("date", "datetime") else v for v in values]
        arrays[name] = pa.array(values, type=_ARROW_TYPES.get(kind, pa.string()))
    return pa.table(arrays)


def excel_scan(
    path: Path, plan: SheetPlan, *, cursor: str | None, state: dict[str, Any] | None, note: str | None
) -> SqlScan:
    """A scan whose `prepare` types every column from a pre-pass over the whole sheet, inside DuckDB."""
    letters = [_letters(i + 1) for i in range(len(plan.names))]
    last = letters[-1] if letters else "A"
    quoted = ", ".join(quote_ident(c) for c in letters)
    # columns are renamed by position: read_xlsx names them after the first cell of the range, which varies
    raw = (
        f"SELECT * FROM read_xlsx(?, sheet=?, header=false, all_varchar=true, stop_at_empty=false, "
        f"range='A{plan.first_data_row}:{last}') AS sheet({quoted}) WHERE coalesce({quoted}) IS NOT NULL"
    )
    params = [str(path), plan.sheet]

    def prepare(con: duckdb.DuckDBPyConnection) -> SqlScan:
        types = _settle_types(con, raw, params, plan, letters)  # columns never filled are left out
        select = ", ".join(
            f"{_typed(quote_ident(letter), types[name], plan.kinds[name])} AS {quote_ident(name)}"
            for letter, name in zip(letters, plan.names, strict=True)
            if name in types
        )
        sql, extra = cursor_filter(f"SELECT {select} FROM ({raw})", types, cursor, state)
        warnings = [note] if note else []
        return SqlScan(
            sql, params + extra, dict(plan.originals), path.stat().st_size, review=lambda _con: ScanReview(warnings)
        )

    return SqlScan(raw, params, dict(plan.originals), path.stat().st_size, prepare=prepare)


def _settle_types(
    con: duckdb.DuckDBPyConnection, raw: str, params: list[Any], plan: SheetPlan, letters: list[str]
) -> dict[str, str]:
    """A sampled kind becomes a column type only if every value in the sheet casts; else the column is text."""
    checks = []
    for letter in letters:
        q = quote_ident(letter)
        number = f"TRY_CAST({q} AS DOUBLE)"
        integral = f"{number} = floor({number}) AND abs({number}) < 9e18"
        checks.append(f"count({q}) = count({number})")
        checks.append(f"count({q}) = count({number}) AND coalesce(bool_and({integral}), TRUE)")
        checks.append(f"count({q}) > 0")
    row = con.execute(f"SELECT {', '.join(checks) or 'NULL'} FROM ({raw})", params).fetchone() or ()
    types: dict[str, str] = {}
    for index, name in enumerate(plan.names):
        numeric, whole, filled = (bool(v) for v in row[3 * index : 3 * index + 3])
        if index < plan.seen_width or filled:
            types[name] = _column_type(plan.kinds[name], numeric, whole)
    return types


def _column_type(kind: str, numeric: bool, whole: bool) -> str:
    if not numeric or kind in ("text", "empty"):
        return "VARCHAR"
    if kind == "float" or (kind == "int" and not whole):
        return "DOUBLE"
    if kind == "date" and not whole:
        return "TIMESTAMP"
    return _KIND_TYPES.get(kind, "VARCHAR")


def _typed(column: str, type_: str, kind: str) -> str:
    number = f"CAST({column} AS DOUBLE)"
    moment = f"({_EXCEL_EPOCH} + to_microseconds(CAST(round({number} * 86400000000) AS BIGINT)))"
    if type_ == "VARCHAR" and kind in ("date", "datetime"):
        # a date column with some text in it stays text, but its real dates read as dates, not serial numbers
        serial = f"TRY_CAST({column} AS DOUBLE)"
        as_text = f"strftime({_EXCEL_EPOCH} + to_microseconds(CAST(round({serial} * 86400000000) AS BIGINT)), '%Y-%m-%d %H:%M:%S')"
        return f"CASE WHEN {serial} IS NULL THEN {column} ELSE {as_text} END"
    if type_ == "TIMESTAMP":
        return moment
    if type_ == "DATE":
        return f"CAST({moment} AS DATE)"
    if type_ == "TIME":
        return f"CAST({moment} AS TIME)"
    if type_ == "BOOLEAN":
        return f"({number} <> 0)"
    if type_ == "BIGINT":
        return f"CAST({number} AS BIGINT)"
    if type_ == "DOUBLE":
        return number
    return column


def _as_datetime(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
