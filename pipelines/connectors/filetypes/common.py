"""What every file connector shares: finding the uploaded file, refusing junk early, key/cursor candidates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.connectors.base import Column, ReadContext, Stream, SyncMode
from pipelines.duckdb_conn import quote_ident
from pipelines.errors import BadInputError, ConfigError
from pipelines.loading.meta import SYSTEM_COLUMNS
from pipelines.loading.types import TEMPORAL, cursor_param_sql, cursor_sql, is_integer, is_temporal
from pipelines.naming import normalise_identifier

HIDDEN_PREFIX = ".dalgo-"  # our own files inside an upload dir (e.g. a UTF-8 copy of a Latin-1 CSV)
SAMPLE_ROWS = 1_000_000  # key/cursor candidates are judged on at most this many rows
_SAFE_UPLOAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_KEY_NAME = re.compile(r"^(id|key|uuid|_id|_uuid|.*_id|.*_uuid|.*_key|id_.*|.*uuid.*)$")
_CURSOR_HINT = re.compile(r"(updated|modified|changed|submission|submitted|created|timestamp|date|time|_at$)")
ALL_MODES = [SyncMode.full_refresh, SyncMode.incremental_append, SyncMode.incremental_dedup]

_MAGIC: list[tuple[bytes, str, str]] = [
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)", "use the Excel connector for .xlsx files"),
    (b"\xd0\xcf\x11\xe0", "an old binary Excel (.xls) or Word file", "open it in Excel and save it as .xlsx or CSV"),
    (b"%PDF", "a PDF document", "export the data as CSV or Excel instead"),
    (b"PAR1", "a Parquet file", "use the Parquet connector"),
    (b"\x1f\x8b", "a gzip archive", "unzip it first, then upload the file inside"),
    (b"\x89PNG", "a PNG image", "upload the data file, not a picture of it"),
    (b"\xff\xd8\xff", "a JPEG image", "upload the data file, not a picture of it"),
]


def upload_spec() -> dict[str, Any]:
    """Spec properties naming the file: an upload id (always) or a local path (desktop app only)."""
    return {
        "upload_id": {
            "type": "string",
            "title": "File",
            "description": "The uploaded file (drag it in or pick it). Upload a new version here to replace it.",
            "format": "upload",
        },
        "path": {
            "type": "string",
            "title": "Local file path",
            "description": "Desktop app only: read a file on this computer directly instead of uploading it.",
        },
    }


def resolve_file(config: dict[str, Any], ctx: ReadContext) -> Path:
    """The single file of `config["upload_id"]` (or an allowed local `path`), checked against the size limit."""
    if config.get("path") and not config.get("upload_id"):
        path = _local_path(str(config["path"]), ctx)
    else:
        path = _upload_file(config.get("upload_id"), ctx)
    size = path.stat().st_size
    if ctx.max_upload_bytes is not None and size > ctx.max_upload_bytes:
        raise BadInputError(
            f"File '{path.name}' is {_human(size)}, larger than the {_human(ctx.max_upload_bytes)} limit",
            hint="split the file, or ask an admin to raise the upload size limit",
        )
    return path


def _local_path(raw: str, ctx: ReadContext) -> Path:
    if not ctx.allow_local_paths:
        raise ConfigError(
            "Reading a file by path is not allowed on this server",
            hint="upload the file and pick it in the source settings",
        )
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise ConfigError(f"'{raw}' is not an absolute path", hint="give the full path to the file")
    if not path.is_file():
        raise ConfigError(f"File '{raw}' does not exist", hint="check the path, or upload the file instead")
    return stage_local_file(path, ctx.uploads_dir) if ctx.uploads_dir is not None else path


def stage_local_file(path: Path, uploads_dir: Path) -> Path:
    """A local file seen from inside the org's uploads folder, the only place the org's DuckDB may read.

    A copy, refreshed when the file's size or time changes. Not a symlink (DuckDB follows it and refuses
    the real path) nor a hard link (SQL writing into the uploads folder would change the user's own file).
    """
    import hashlib
    import shutil

    folder = uploads_dir / "_local" / hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    dest = folder / path.name
    src = path.stat()
    if dest.exists():
        cur = dest.stat()
        if cur.st_size == src.st_size and cur.st_mtime_ns == src.st_mtime_ns:
            return dest
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{path.name}.partial"
    shutil.copy2(path, partial)
    partial.replace(dest)
    return dest


def _upload_file(upload_id: Any, ctx: ReadContext) -> Path:
    if not upload_id or not isinstance(upload_id, str) or not _SAFE_UPLOAD_ID.match(upload_id):
        raise ConfigError("No valid file is selected for this source", hint="upload a file and pick it")
    if ctx.uploads_dir is None:
        raise ConfigError("This server has no uploads folder configured", hint="contact an admin")
    folder = ctx.uploads_dir / upload_id
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")] if folder.is_dir() else []
    if len(files) != 1:
        problem = "was not found" if not files else f"holds {len(files)} files instead of one"
        raise ConfigError(f"Upload '{upload_id}' {problem}", hint="upload the file again and pick the new upload")
    return files[0]


def check_not_empty_or_foreign(path: Path, head: bytes, expected: str) -> None:
    """Refuse an empty file or a known non-text format (zip, PDF, image...) named like a data file."""
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise BadInputError(f"File '{path.name}' is empty", hint=f"upload a {expected} file with data in it")
    for magic, what, hint in _MAGIC:
        if head.startswith(magic):
            raise BadInputError(f"File '{path.name}' is {what}, not a {expected} file", hint=hint)


def stream_name_for(path: Path) -> str:
    return normalise_identifier(path.stem, fallback="file")


def cursor_filter(
    select_sql: str, columns: dict[str, str], cursor: str | None, state: dict[str, Any] | None
) -> tuple[str, list[Any]]:
    """Wrap a scan so only rows newer than the committed cursor are read (incremental file syncs)."""
    state = state or {}
    if not cursor or state.get("cursor_field") != cursor or state.get("cursor") is None or cursor not in columns:
        return select_sql, []
    kind = str(state.get("cursor_kind") or TEMPORAL)
    expr = cursor_sql(quote_ident(cursor), kind)
    return f"SELECT * FROM ({select_sql}) WHERE {expr} > {cursor_param_sql(kind)}", [state["cursor"]]


def describe_stream(
    con: duckdb.DuckDBPyConnection,
    name: str,
    relation_sql: str,
    params: list[Any],
    originals: dict[str, str],
    description: str,
) -> Stream:
    """Columns, types, primary-key and cursor candidates of one file stream, judged by DuckDB on a sample."""
    types = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM ({relation_sql})", params).fetchall()}
    columns = [Column(col, type_, originals.get(col, col)) for col, type_ in types.items() if col not in SYSTEM_COLUMNS]
    sample = f"(SELECT * FROM ({relation_sql}) LIMIT {SAMPLE_ROWS})"
    keys = _key_candidates(con, sample, params, types)
    cursors = _cursor_candidates(con, sample, params, types)
    hinted = [c for c in cursors if _CURSOR_HINT.search(c)]
    return Stream(
        name=name,
        columns=columns,
        primary_key=keys[:1],
        primary_key_candidates=keys,
        cursor_candidates=cursors,
        default_cursor=next(iter(hinted or cursors), None),
        supported_sync_modes=list(ALL_MODES),
        description=description,
    )


def _key_candidates(con: duckdb.DuckDBPyConnection, sample: str, params: list[Any], types: dict[str, str]) -> list[str]:
    named = [col for col in types if _KEY_NAME.match(col) and col not in SYSTEM_COLUMNS]
    if not named:
        return []
    checks = [
        f"count({q}) = count(*) AND count(DISTINCT {q}) = count(*) AND count(*) > 0" for q in map(quote_ident, named)
    ]
    parts = ", ".join(checks)
    row = con.execute(f"SELECT {parts} FROM {sample}", params).fetchone()
    return [col for col, ok in zip(named, row or [], strict=False) if ok]


def _cursor_candidates(
    con: duckdb.DuckDBPyConnection, sample: str, params: list[Any], types: dict[str, str]
) -> list[str]:
    temporal = [col for col, type_ in types.items() if is_temporal(type_) and col not in SYSTEM_COLUMNS]
    ints = [col for col, type_ in types.items() if is_integer(type_)]
    if not ints:
        return temporal
    # DuckDB keeps file order for a plain scan, so "never decreases" is judged in the order of the file
    selected = ", ".join(quote_ident(col) for col in ints)
    table: pa.Table = con.execute(f"SELECT {selected} FROM {sample}", params).to_arrow_table()
    monotonic = [col for col in ints if _never_decreases(table.column(col))]
    return temporal + monotonic


def _never_decreases(values: pa.ChunkedArray) -> bool:
    array = values.combine_chunks()
    if len(array) < 2 or array.null_count:
        return False
    return bool(pc.all(pc.greater_equal(array.slice(1), array.slice(0, len(array) - 1))).as_py())


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
