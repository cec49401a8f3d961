"""KoboToolbox connector, plus the form-data helpers it shares with the ODK Central connector.

API followed: the KoboToolbox KPI **API v2** (support.kobotoolbox.org/api.html and its data-endpoint
article, with the 2026 limits: at most 1000 results per page, `next`/`previous` links):

- `GET /api/v2/assets/?format=json` lists assets; a stream is a deployed `survey` asset.
- `GET /api/v2/assets/{uid}/?format=json` gives the form definition in `content.survey`.
- `GET /api/v2/assets/{uid}/data/?format=json&limit=1000&sort=...&query=...` pages submissions; the
  connector follows the `next` links (`start=`) and never asks for more than 1000 per page.
- Auth: header `Authorization: Token <token>`.

Data shape: question values arrive as text and are typed from the form; `group/question` keys become
`group_question` columns; repeat groups become child tables `<stream>__<repeat>` linked by
`_dalgo_parent_id` (the submission `_id`); select_multiple answers become lists; attachments become
`<question>_url` columns (the `download_url` of `_attachments`); `_validation_status` keeps its `uid`.

Incremental: sorted by `_submission_time` then `_id`, filtered by
`query={"_submission_time": {"$gte": <state>}}`; the inclusive boundary is deduplicated with the ids
already loaded at that exact time, which the state keeps.
"""

from __future__ import annotations

import json
import posixpath
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.connectors.base import Batch, Column, ConfiguredStream, ReadContext, Stream, SyncMode
from pipelines.connectors.http import ApiClient
from pipelines.connectors.records import INDEX, PARENT_ID, ROW_ID, flatten_record, records_to_tables, rows_to_arrow
from pipelines.errors import AuthError, BadInputError, ConfigError, TerminalError
from pipelines.naming import normalise_identifier

T = TypeVar("T")
PAGE_SIZE = 1000  # the documented maximum of the data endpoint
CURSOR = "_submission_time"
AUTH_MESSAGE = "KoboToolbox token rejected"
AUTH_HINT = "edit the source and paste a new token from your Kobo account settings"

_TEXT_TYPES = (
    "text select_one select_one_from_file rank time geopoint geotrace geoshape barcode calculate hidden "
    "acknowledge deviceid username phonenumber simserial subscriberid email xml-external"
)
BINARY_TYPES = {"image", "audio", "video", "file", "background-audio", "audit"}
# Kobo question type → DuckDB type. Types absent here (note, group/repeat markers) carry no data.
QUESTION_TYPES: dict[str, str] = {
    **dict.fromkeys(_TEXT_TYPES.split() + sorted(BINARY_TYPES), "VARCHAR"),
    **dict.fromkeys(["integer"], "BIGINT"),
    **dict.fromkeys(["decimal", "range"], "DOUBLE"),
    **dict.fromkeys(["date", "today"], "DATE"),
    **dict.fromkeys(["datetime", "start", "end"], "TIMESTAMP"),
    **dict.fromkeys(["select_multiple", "select_multiple_from_file"], "VARCHAR[]"),
}
META_LAST = {
    "_uuid": "VARCHAR",
    CURSOR: "TIMESTAMP",
    "_validation_status": "VARCHAR",
    "_status": "VARCHAR",
    "_submitted_by": "VARCHAR",
    "__version__": "VARCHAR",
    "_xform_id_string": "VARCHAR",
    "meta/instanceID": "VARCHAR",
    "formhub/uuid": "VARCHAR",
    "_geolocation": "VARCHAR[]",
    "_tags": "VARCHAR[]",
    "_notes": "VARCHAR",
}


class KoboConnector:
    """Reads submissions of deployed KoboToolbox forms."""

    type: ClassVar[str] = "kobotoolbox"
    name: ClassVar[str] = "KoboToolbox"
    api_version: ClassVar[str] = "KPI API v2"

    def spec(self) -> dict[str, Any]:
        """JSON schema of the source form."""
        return {
            "type": "object",
            "title": "KoboToolbox",
            "required": ["server_url", "api_token"],
            "properties": {
                "server_url": {
                    "type": "string",
                    "title": "Server URL",
                    "default": "https://kf.kobotoolbox.org",
                    "format": "uri",
                    "description": "Your Kobo server: https://kf.kobotoolbox.org, https://eu.kobotoolbox.org or your own.",
                },
                "api_token": {
                    "type": "string",
                    "title": "API token",
                    "format": "password",
                    "writeOnly": True,
                    "description": "In Kobo: Account settings → Security → API key (or open <server URL>/token/).",
                },
            },
        }

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        """Ask for one asset: proves the URL answers like Kobo and the token is accepted."""
        with _client(config, ctx) as api:
            _authed(api, "/api/v2/assets/", {"format": "json", "limit": 1})

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        """One stream per deployed form, with columns typed from the form definition."""
        with _client(config, ctx) as api:
            streams = []
            for stream_name, asset in _deployed_forms(api, _server(config)).items():
                tables = _form_tables(api, stream_name, asset["uid"])
                count = asset.get("deployment__submission_count")
                streams.append(
                    form_stream(
                        tables,
                        primary_key="_id",
                        cursors=[CURSOR],
                        description=f"Kobo form '{asset.get('name')}' ({asset['uid']})"
                        + (f", {count} submissions" if count is not None else ""),
                    )
                )
            return streams

    def read(
        self,
        config: dict[str, Any],
        stream: ConfiguredStream,
        state: dict[str, Any] | None,
        ctx: ReadContext,
    ) -> Iterator[Batch]:
        """Page through the form's submissions: one batch per page, plus one per repeat table."""
        if stream.cursor_field not in (None, CURSOR):
            raise ConfigError(
                f"KoboToolbox form '{stream.name}' syncs incrementally on {CURSOR} only",
                hint=f"pick {CURSOR} as the cursor",
            )
        incremental = stream.sync_mode != SyncMode.full_refresh
        with _client(config, ctx) as api:
            asset = _deployed_forms(api, _server(config)).get(stream.name)
            if asset is None:
                raise TerminalError(
                    f"KoboToolbox has no deployed form for stream '{stream.name}' any more",
                    hint="run Discover again and pick the streams to sync",
                )
            tables = _form_tables(api, stream.name, asset["uid"])
            tracker = CursorTracker("KoboToolbox", stream.name, CURSOR, "_id", state if incremental else None)
            params: dict[str, Any] = {"format": "json", "limit": PAGE_SIZE, "sort": json.dumps({CURSOR: 1, "_id": 1})}
            if tracker.cursor is not None:
                params["query"] = json.dumps({CURSOR: {"$gte": tracker.cursor}})
            url = f"/api/v2/assets/{asset['uid']}/data/"
            yield from _pages(api, _server(config), url, params, tables, tracker, ctx, empty_first=not incremental)


def _pages(
    api: ApiClient,
    server: str,
    url: str | None,
    params: dict[str, Any] | None,
    tables: dict[str, FormTable],
    tracker: CursorTracker,
    ctx: ReadContext,
    *,
    empty_first: bool,
) -> Iterator[Batch]:
    """Follow the `next` links; a full refresh yields its first page even when empty (an empty table)."""
    buffer, loaded = PageBuffer(tables, ctx, key_field="_id"), 0
    for page, last in prefetched(_fetch_pages(api, server, url, params), ctx):
        split: dict[str, list[dict[str, Any]]] = {tables[""].name: []}
        for record in page["results"]:
            if tracker.accept(record):
                _split(record, tables, split)
        loaded += len(split[tables[""].name])
        buffer.add_tables(split)
        if buffer.full or last:  # ascending order: the state after these pages is a safe resume point
            yield from buffer.flush(tracker.state(), always=last and empty_first and not buffer.emitted)
        ctx.progress({"stream": tracker.stream, "rows": loaded, "total": page.get("count")})


def _fetch_pages(
    api: ApiClient, server: str, url: str | None, params: dict[str, Any] | None
) -> Iterator[tuple[dict[str, Any], bool]]:
    """(page, is_last) following the `next` links."""
    while url is not None:
        page = _authed(api, url, params)
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise TerminalError(f"KoboToolbox answered {url} without a list of results", hint="check the server URL")
        url, params = _rebase(server, page.get("next")), None
        yield page, url is None


def _server(config: dict[str, Any]) -> str:
    return str(config.get("server_url") or "https://kf.kobotoolbox.org").strip().rstrip("/")


def _client(config: dict[str, Any], ctx: ReadContext) -> ApiClient:
    token = str(config.get("api_token") or "").strip()
    if not token:
        raise ConfigError("The KoboToolbox source has no API token", hint=AUTH_HINT)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    return ApiClient("KoboToolbox", _server(config), ctx, headers=headers, auth_hint=AUTH_HINT)


def _authed(api: ApiClient, url: str, params: dict[str, Any] | None) -> Any:
    """GET JSON, turning a 401/403 into the plain-language Kobo message."""
    try:
        return api.get_json(url, params)
    except AuthError as err:
        raise AuthError(AUTH_MESSAGE, hint=AUTH_HINT) from err


def _rebase(server: str, next_url: Any) -> str | None:
    """A `next` link moved onto the configured server (a proxy may report another scheme or host)."""
    if not next_url:
        return None
    parts, base = urlsplit(str(next_url)), urlsplit(server)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def _deployed_forms(api: ApiClient, server: str) -> dict[str, dict[str, Any]]:
    """Stream name → asset for every deployed survey (names from unique_stream_names)."""
    assets: list[dict[str, Any]] = []
    url: str | None = "/api/v2/assets/"
    params: dict[str, Any] | None = {"format": "json", "limit": 100}
    while url is not None:
        page = _authed(api, url, params)
        for asset in page.get("results", []):
            active = asset.get("deployment__active", asset.get("has_deployment", False))
            if asset.get("asset_type") == "survey" and active:
                assets.append(asset)
        url, params = _rebase(server, page.get("next")), None
    names = unique_stream_names(
        [(a.get("name") or a["uid"], a["uid"], str(a.get("date_created") or "")) for a in assets]
    )
    return {names[a["uid"]]: a for a in assets}


def _form_tables(api: ApiClient, stream_name: str, uid: str) -> dict[str, FormTable]:
    detail = _authed(api, f"/api/v2/assets/{uid}/", {"format": "json"})
    return parse_form(stream_name, detail.get("content") or {})


def parse_form(stream_name: str, content: dict[str, Any]) -> dict[str, FormTable]:
    """Kobo `content.survey` → tables keyed by repeat path ("" is the submission table)."""
    tables = {"": FormTable(stream_name, {"_id": "BIGINT"})}
    stack: list[tuple[bool, str]] = []  # (is_repeat, name) of the open groups and repeats
    for row in content.get("survey") or []:
        raw_kind = str(row.get("type") or "").strip()
        kind = raw_kind.split(" ")[0] if raw_kind.startswith("select") else raw_kind.replace(" ", "_")
        name = str(row.get("name") or row.get("$autoname") or "")
        if kind in ("begin_group", "begin_repeat"):
            if kind == "begin_repeat":
                parent = tables[_repeat_path(stack)]
                child = FormTable(f"{parent.name}__{normalise_identifier(name)}", {}, is_child=True)
                tables["/".join([n for _, n in stack] + [name])] = child
                parent.children.append(child.name)
            stack.append((kind == "begin_repeat", name))
        elif kind in ("end_group", "end_repeat"):
            stack = stack[:-1]
        elif name and kind in QUESTION_TYPES:
            duck_type = QUESTION_TYPES[kind]
            xpath = str(row.get("$xpath") or "/".join([n for _, n in stack] + [name]))
            repeat = _repeat_path(stack)
            tables[repeat].add(xpath[len(repeat) + 1 :] if repeat else xpath, duck_type, binary=kind in BINARY_TYPES)
    for raw, duck_type in META_LAST.items():
        tables[""].types.setdefault(raw, duck_type)
    for table in tables.values():
        table.finish()
    return tables


def _repeat_path(stack: list[tuple[bool, str]]) -> str:
    """Path of the innermost open repeat ("" when none)."""
    last = max((i for i, (is_repeat, _) in enumerate(stack) if is_repeat), default=-1)
    return "/".join(n for _, n in stack[: last + 1])


_CONTAINERS = (list, dict)


def _split(record: dict[str, Any], tables: dict[str, FormTable], out: dict[str, list[dict[str, Any]]]) -> None:
    """One Kobo record → its submission row and repeat rows, in one pass (Kobo records are flat already).

    Same conventions as records.records_to_tables: children carry `_dalgo_parent_id` (the submission
    `_id`, or the `_dalgo_row_id` of a repeat entry holding a nested repeat) and `_dalgo_index`.
    """
    row = record  # freshly decoded and used once: changed in place, no copy
    status = row.get("_validation_status")
    row["_validation_status"] = (status.get("uid") or None) if isinstance(status, dict) else status
    row["_notes"] = json.dumps(row["_notes"]) if row.get("_notes") else None
    urls: dict[str, str] = {}
    for item in row.pop("_attachments", None) or []:
        for key in ("filename", "media_file_basename"):
            if isinstance(item, dict) and item.get(key) and item.get("download_url"):
                urls[posixpath.basename(str(item[key]))] = str(item["download_url"])
    _emit_row(row, "", tables[""].name, str(row.get("_id")), tables, urls, out)


def _emit_row(
    row: dict[str, Any],
    path: str,
    table_name: str,
    row_id: str,
    tables: dict[str, FormTable],
    urls: dict[str, str],
    out: dict[str, list[dict[str, Any]]],
) -> None:
    table = tables.get(path)
    for raw in table.binary if table else ():
        value = row.get(raw)
        if isinstance(value, str) and value:
            row[raw + "_url"] = urls.get(posixpath.basename(value))
    out.setdefault(table_name, []).append(row)
    for key in [k for k, v in row.items() if type(v) in _CONTAINERS]:
        value = row[key]
        if type(value) is dict:  # not in Kobo's data today; flattened like records.py would
            del row[key]
            row.update({f"{key}/{k}": v for k, v in flatten_record(value, sep="/")[0].items()})
            continue
        if not value or type(value[0]) is not dict:
            row[key] = [None if x is None else str(x) for x in value]
            continue
        del row[key]
        child_path = f"{path}/{key}" if path else key  # keys inside a repeat are full paths
        known = tables.get(child_path)
        child_table = known.name if known else f"{table_name}__{normalise_identifier(key.split('/')[-1])}"
        if path:
            row[ROW_ID] = row_id
        prefix = child_path + "/"
        for index, item in enumerate(value):
            child = {k.removeprefix(prefix): v for k, v in item.items()}
            child[PARENT_ID], child[INDEX] = row_id, index
            _emit_row(child, child_path, child_table, f"{row_id}/{key}[{index}]", tables, urls, out)


# ---------------------------------------------------------------------------------------------------
# Form-data helpers shared with the ODK Central connector (typed tables, stable names, cursor state).

ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "VARCHAR[]": pa.list_(pa.string()),
}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


@dataclass
class FormTable:
    """One output table of a form: raw key → DuckDB type in form order, and raw → column names."""

    name: str
    types: dict[str, str]
    is_child: bool = False
    binary: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    def add(self, raw: str, duck_type: str, *, binary: bool = False) -> None:
        self.types[raw] = duck_type
        if binary:
            self.binary.append(raw)
            self.types[raw + "_url"] = "VARCHAR"

    def finish(self) -> None:
        """Add the link columns and fix the column names (same algorithm as rows_to_arrow)."""
        if self.is_child:
            self.types.update({PARENT_ID: "VARCHAR", INDEX: "BIGINT"})
            if self.children:
                self.types[ROW_ID] = "VARCHAR"
        rows_to_arrow([dict.fromkeys(self.types)], self.names)

    def columns(self) -> list[Column]:
        return [Column(self.names[raw], duck_type, original_name=raw) for raw, duck_type in self.types.items()]

    def to_arrow(self, rows: list[dict[str, Any]], warn: Callable[[str], None]) -> pa.Table:
        """Typed Arrow table: declared columns first (NULL when absent), then any undeclared keys."""
        arrays: dict[str, pa.Array | pa.ChunkedArray] = {}
        for raw, duck_type in self.types.items():
            values = [row.get(raw) for row in rows]
            arrays[self.names[raw]] = _direct(values, duck_type) or self._slow_cast(values, raw, duck_type, warn)
        extras = set().union(*map(dict.keys, rows)) - self.types.keys() if rows else set()
        if extras:  # not in the form (e.g. an older form version): named and typed by rows_to_arrow
            ordered = [key for key in rows[0] if key in extras] + sorted(extras - rows[0].keys())
            table = rows_to_arrow([{key: row.get(key) for key in ordered} for row in rows], self.names)
            for name in table.column_names:
                arrays.setdefault(name, table.column(name))
        return pa.table(arrays) if arrays else pa.table({})

    def _slow_cast(self, values: list[Any], raw: str, duck_type: str, warn: Callable[[str], None]) -> pa.Array:
        """Value by value: what does not fit becomes NULL, with one warning per column."""
        converted = []
        for value in values:
            try:
                converted.append(None if value is None else convert(duck_type, value))
            except (ValueError, TypeError):
                converted.append(None)
                if raw not in self.warned:
                    self.warned.add(raw)
                    warn(f"table {self.name}, column {raw}: '{value}' is not a valid {duck_type}; loaded as NULL")
        return pa.array(converted, type=ARROW_TYPES[duck_type])


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError)


def _direct(values: list[Any], duck_type: str) -> pa.Array | None:
    """Values already of the type (ODK numbers, lists), or text Arrow can parse (Kobo answers)."""
    target = ARROW_TYPES[duck_type]
    lists = duck_type == "VARCHAR[]" and all(type(v) is list for v in values if v is not None)
    if duck_type in ("BIGINT", "DOUBLE", "BOOLEAN") or lists:
        try:  # (a str is a sequence to Arrow: text never goes to a list type here)
            return pa.array(values, type=target)
        except _ARROW_ERRORS:
            pass
    try:
        text = pa.array(values, type=pa.string())  # fails on anything but text and None
    except _ARROW_ERRORS:
        return None
    return text if duck_type == "VARCHAR" else _fast_cast(text, duck_type)


def _fast_cast(column: pa.Array, duck_type: str) -> pa.Array | None:
    """Arrow-side conversion of a whole column; None when a value needs the value-by-value path."""
    target = ARROW_TYPES[duck_type]
    if column.type == target:
        return column
    text = pa.types.is_string(column.type)
    try:
        if duck_type == "TIMESTAMP" and text:
            try:  # ISO text with offsets (Kobo start/end, ODK dates) → UTC; else naive text as UTC
                return column.cast(pa.timestamp("us", tz="UTC")).cast(target)
            except pa.ArrowInvalid:
                return column.cast(target)
        if duck_type == "VARCHAR[]" and text:
            blank = pc.equal(pc.utf8_length(column), 0)
            return pc.utf8_split_whitespace(pc.if_else(blank, pa.scalar(None, pa.string()), column))
        if duck_type in ("BOOLEAN", "VARCHAR") and text == (duck_type == "BOOLEAN"):
            return None  # "yes"/"true" text and nested values need Python
        return column.cast(target)
    except _ARROW_ERRORS:
        return None


def convert(duck_type: str, value: Any) -> Any:
    """An API value → the Python value of `duck_type` (raises ValueError when it does not fit)."""
    if value == "":
        return None
    if duck_type == "BIGINT":
        if isinstance(value, bool):
            raise ValueError(value)
        return value if isinstance(value, int) else int(str(value).strip())
    if duck_type == "DOUBLE":
        return float(value)
    if duck_type == "BOOLEAN":
        text = str(value).lower()
        if isinstance(value, bool) or text in _TRUE | _FALSE:
            return value if isinstance(value, bool) else text in _TRUE
        raise ValueError(value)
    if duck_type == "TIMESTAMP":
        return parse_timestamp(value)
    if duck_type == "DATE":
        return date.fromisoformat(str(value))
    if duck_type == "VARCHAR[]":
        if isinstance(value, list):
            return [None if item is None else str(item) for item in value]
        return str(value).split()
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 text (with or without offset) → naive UTC datetime; ValueError when malformed."""
    if not isinstance(value, str):
        raise ValueError(value)
    parsed = datetime.fromisoformat(value.strip())
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo is not None else parsed


def unique_stream_names(forms: list[tuple[str, str, str]]) -> dict[str, str]:
    """(title, id, created) → {id: stream name}. The oldest form keeps the plain name; others add their id."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for title, form_id, created in forms:
        groups[normalise_identifier(title, fallback="form")].append((created, form_id))
    names: dict[str, str] = {}
    for base, members in groups.items():
        for position, (_, form_id) in enumerate(sorted(members)):
            names[form_id] = base if position == 0 else f"{base[:40]}_{normalise_identifier(form_id)}"
    return names


def form_stream(tables: dict[str, FormTable], *, primary_key: str, cursors: list[str], description: str) -> Stream:
    """The Stream of a form's tables (cursor and key given by raw name)."""
    root = tables[""]
    return Stream(
        name=root.name,
        columns=root.columns(),
        primary_key=[root.names[primary_key]],
        cursor_candidates=[root.names[c] for c in cursors],
        default_cursor=root.names[cursors[0]],
        supported_sync_modes=list(SyncMode),
        children=[t.name for key, t in tables.items() if key],
        description=description,
    )


class CursorTracker:
    """Newest cursor value seen plus the ids at exactly that value: the state of a form stream."""

    def __init__(
        self,
        service: str,
        stream: str,
        cursor_field: str,
        key_field: str,
        state: dict[str, Any] | None,
        value_of: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        self.service, self.stream, self.cursor_field, self.key_field = service, stream, cursor_field, key_field
        self.value_of = value_of or (lambda record: record.get(cursor_field))
        self.cursor: str | None = (state or {}).get("cursor")
        self.ids_at: set[str] = set((state or {}).get("ids_at_cursor") or [])
        self.extra: dict[str, Any] = {
            k: v for k, v in (state or {}).items() if k not in ("cursor", "ids_at_cursor", "cursor_field")
        }
        self._best = parse_timestamp(self.cursor) if self.cursor else None
        self._start = (self._best, frozenset(self.ids_at))

    def accept(self, record: dict[str, Any]) -> bool:
        """Track one record; False when it was already loaded at the inclusive boundary."""
        raw = self.value_of(record)
        if raw is None:
            return True  # no cursor value: the record loads with NULL and cannot move the state
        key = str(record.get(self.key_field))
        try:
            value = parse_timestamp(raw)
        except ValueError as err:
            raise BadInputError(
                f"{self.service} stream '{self.stream}': submission {self.key_field}={key} has a malformed {self.cursor_field} '{raw}'",
                hint=f"fix or delete that submission in {self.service}, then sync again",
            ) from err
        if value == self._start[0] and key in self._start[1]:
            return False
        if self._best is None or value > self._best:
            self._best, self.cursor, self.ids_at = value, str(raw), {key}
        elif value == self._best:
            self.ids_at.add(key)
        return True

    def state(self) -> dict[str, Any] | None:
        if self.cursor is None and not self.extra:
            return None
        return {
            "cursor_field": self.cursor_field,
            "cursor": self.cursor,
            "ids_at_cursor": sorted(self.ids_at),
            **self.extra,
        }


class PageBuffer:
    """Typed tables of consecutive pages, handed over as one batch per table once `ctx.batch_rows` rows
    are held (the loader commits per batch: fewer, larger batches load much faster than one per page)."""

    def __init__(self, tables: dict[str, FormTable], ctx: ReadContext, *, key_field: str) -> None:
        self.tables, self.ctx, self.key_field = tables, ctx, key_field
        self.parts: dict[str, list[pa.Table]] = {}
        self.rows = 0
        self.emitted = False

    def add(self, records: list[dict[str, Any]]) -> None:
        """Split one page into its tables (repeats → child tables, records.py) and type them."""
        self.add_tables(records_to_tables(self.tables[""].name, records, key_field=self.key_field, sep="/"))

    def add_tables(self, split: dict[str, list[dict[str, Any]]]) -> None:
        """Type one page already split into rows per table (the root table first)."""
        root = self.tables[""]
        by_name = {t.name: t for t in self.tables.values()}
        for name, rows in split.items():
            if rows:
                table = by_name.get(name) or self.tables.setdefault(f"?{name}", FormTable(name, {}, is_child=True))
                warn = lambda msg: self.ctx.progress({"stream": root.name, "warning": msg})  # noqa: E731
                self.parts.setdefault(name, []).append(table.to_arrow(rows, warn))
        self.rows += len(split.get(root.name, ()))

    @property
    def full(self) -> bool:
        return self.rows >= max(1, self.ctx.batch_rows)

    def flush(self, state: dict[str, Any] | None, *, always: bool = False) -> list[Batch]:
        """The held rows as batches (root table first); the last one carries `state`.

        `always` makes an empty root batch when nothing is held, so a state (or an empty full refresh)
        still reaches the loader.
        """
        root = self.tables[""]
        if always and root.name not in self.parts:
            self.parts = {root.name: [root.to_arrow([], lambda _msg: None)], **self.parts}
        batches = [
            Batch(
                name,
                pa.concat_tables(parts, promote_options="permissive"),
                parent_key=None if name == root.name else PARENT_ID,
            )
            for name, parts in sorted(self.parts.items(), key=lambda item: item[0] != root.name)
        ]
        if batches:
            batches[-1].state = state
            self.emitted = True
        self.parts, self.rows = {}, 0
        return batches


_DONE = object()


def prefetched(items: Iterator[T], ctx: ReadContext, depth: int = 2) -> Iterator[T]:
    """Run `items` (HTTP + JSON decoding of the next pages) ahead in a thread.

    The server prepares and sends page n+1 while page n is typed and loaded; errors (AuthError, ...)
    re-raise here, in the consumer. Stopping early (error, cancel, generator closed) stops the thread.
    """
    out: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, _DONE))
        except BaseException as err:  # handed to the consumer, which re-raises it
            put((False, err))

    worker = threading.Thread(target=work, name="dalgo-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = out.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            ctx.check_cancelled()
            yield item
    finally:
        stop.set()
        worker.join(timeout=1.0)
