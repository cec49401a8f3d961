"""Generic REST JSON source: any HTTP API that answers GET with JSON records, one stream per endpoint.

Follows plain HTTP/1.1 JSON conventions: page-number, offset/limit, opaque cursor token, RFC 8288 `Link`
headers (`rel="next"`) and next-URL-in-body pagination; API key in a header or query parameter, bearer
token (RFC 6750) or HTTP basic auth (RFC 7617). Nested objects become columns (`address_city`), arrays
of objects become child tables (`<stream>__<key>`) via `records.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx
import pyarrow as pa

from pipelines.connectors.base import Batch, Column, ConfiguredStream, ReadContext, Stream, SyncMode
from pipelines.connectors.http import ApiClient
from pipelines.connectors.records import PARENT_ID, records_to_tables, rows_to_arrow
from pipelines.errors import BadInputError, ConfigError, PipelineError, TerminalError, TransientError

PAGINATION_TYPES = ["none", "page_number", "offset", "cursor", "link_header", "next_url"]
AUTH_TYPES = ["none", "header", "query", "bearer", "basic"]
_SECRET = {"type": "string", "format": "password", "writeOnly": True}
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _spec() -> dict[str, Any]:
    pagination = {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": PAGINATION_TYPES, "default": "none"},
            "page_param": {"type": "string", "default": "page"},
            "start_page": {"type": "integer", "default": 1},
            "size_param": {"type": "string", "description": "per_page, limit, page_size..."},
            "page_size": {"type": "integer", "default": 100, "minimum": 1},
            "offset_param": {"type": "string", "default": "offset"},
            "total_path": {"type": "string", "description": "Dot path to the total record count, e.g. meta.total"},
            "cursor_path": {"type": "string", "description": "Dot path to the next cursor token, e.g. meta.next_cursor"},
            "cursor_param": {"type": "string", "default": "cursor"},
            "next_url_path": {"type": "string", "description": "Dot path to the next page's URL, e.g. links.next"},
        },
    }  # fmt: skip
    stream = {
        "type": "object",
        "required": ["name", "path"],
        "properties": {
            "name": {"type": "string", "title": "Stream name"},
            "path": {"type": "string", "title": "Path", "description": "Relative to the base URL, e.g. /v1/people"},
            "records_path": {"type": "string", "title": "Records path", "default": "",
                             "description": "Dot path to the list of records in the response, e.g. data.items (empty: the response is the list)"},
            "params": {"type": "object", "title": "Query parameters", "additionalProperties": {"type": ["string", "number", "boolean"]}},
            "primary_key": {"type": "array", "items": {"type": "string"}, "title": "Primary key"},
            "cursor_field": {"type": "string", "title": "Cursor field", "description": "Field that grows on every change, e.g. updated_at"},
            "cursor_param": {"type": "string", "title": "Cursor parameter", "description": "Query parameter sent with the last cursor value, e.g. updated_since"},
            "pagination": {**pagination, "title": "Pagination (when it differs from the default)"},
        },
    }  # fmt: skip
    auth = {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": AUTH_TYPES, "default": "none"},
            "header_name": {"type": "string", "default": "X-API-Key"},
            "header_value": {**_SECRET, "title": "Header value"},
            "param_name": {"type": "string", "default": "api_key"},
            "param_value": {**_SECRET, "title": "Query parameter value"},
            "token": {**_SECRET, "title": "Bearer token"},
            "username": {"type": "string"},
            "password": {**_SECRET, "title": "Password"},
        },
    }
    return {
        "type": "object",
        "title": "REST API (JSON)",
        "required": ["base_url", "streams"],
        "properties": {
            "base_url": {
                "type": "string",
                "format": "uri",
                "title": "Base URL",
                "description": "e.g. https://api.example.org",
            },
            "auth": auth,
            "pagination": {**pagination, "title": "Pagination", "description": "Default for every stream"},
            "headers": {"type": "object", "title": "Extra headers", "additionalProperties": {"type": "string"}},
            "streams": {"type": "array", "minItems": 1, "items": stream},
        },
    }


def dig(node: Any, path: str | None) -> Any:
    """Follow a dot path (`data.items`) into decoded JSON; None when a step is missing."""
    for part in (path or "").split(".") if path else []:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def extract_records(body: Any, path: str, stream: str, page: int) -> list[dict[str, Any]]:
    """The list of records at `path`, or a BadInputError naming the stream, page and path."""
    node = body
    for part in path.split(".") if path else []:
        if not (isinstance(node, dict) and part in node):
            found = ", ".join(sorted(map(str, node))[:10]) if isinstance(node, dict) else type(node).__name__
            raise BadInputError(
                f"Stream '{stream}': page {page} of the response has no '{path}' (missing '{part}'; found: {found or 'nothing'})",
                hint="check the stream's records path: a dot path to the list of records, e.g. data.items",
            )
        node = node[part]
    if node is None:
        return []
    if not isinstance(node, list) or not all(isinstance(r, dict) for r in node):
        raise BadInputError(
            f"Stream '{stream}': '{path or '(the whole response)'}' on page {page} is not a list of JSON objects",
            hint="point the records path at the list of records, e.g. data.items",
        )
    return node


def cursor_key(value: Any) -> tuple[str, Any]:
    """A cursor value → (kind, comparable): numbers, ISO date/times (naive = UTC), or plain text."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return "other", value
    if isinstance(value, (int, float)):
        return "number", value
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return "number", float(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return "text", text
    return "datetime", moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class CursorTracker:
    """Keeps the largest cursor seen, drops records not newer than the saved one, rejects malformed values."""

    stream: str
    field_name: str
    saved: Any = None  # the saved value, raw as the API wrote it (sent back as-is)
    in_order: bool = True  # True while records arrive in ascending cursor order
    kind: str | None = None
    first: str = ""  # where the kind was established, for error messages
    best: tuple[Any, Any] | None = None  # (comparable, raw)
    previous: Any = None
    saved_key: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.saved is not None:
            self.kind, self.saved_key = cursor_key(self.saved)
            self.first = f"the saved cursor {self.saved!r}"

    def keep(self, record: dict[str, Any], page: int, position: int) -> bool:
        """True if the record is new; raises BadInputError on a cursor value unlike the others."""
        raw = dig(record, self.field_name)
        if raw is None:
            return True  # no cursor value: keep the record, it just cannot move the state
        kind, value = cursor_key(raw)
        where = f"record {position} on page {page}"
        if kind == "other" or (self.kind is not None and kind != self.kind):
            raise BadInputError(
                f"Stream '{self.stream}': {where} has {self.field_name} = {raw!r}, which does not compare with {self.first} ({self.kind} values)",
                hint="fix the record at the source, or pick another cursor field (or full refresh) for this stream",
            )
        if self.kind is None:
            self.kind, self.first = kind, f"{raw!r} in {where}"
        if self.saved is not None and value <= self.saved_key:
            return False  # loaded by an earlier sync (the API's filter may be inclusive)
        self.in_order = self.in_order and (self.previous is None or value >= self.previous)
        self.previous = value
        if self.best is None or value > self.best[0]:
            self.best = (value, raw)
        return True

    def split(
        self, records: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
        """(ready, held back, state after ready): records sharing the last cursor value wait for the next batch,
        so a resume that asks for values after the saved one misses none of them.

        Records out of cursor order: everything is ready but no state is saved until the end of the read, or a
        resume would skip the earlier values that arrive late.
        """
        if not self.in_order:
            return records, [], None
        raws = [dig(r, self.field_name) for r in records]
        keys = [None if raw is None else cursor_key(raw)[1] for raw in raws]
        known = [i for i, key in enumerate(keys) if key is not None]
        if not known:
            return records, [], None
        top, cut = keys[known[-1]], len(records)
        while cut > 0 and keys[cut - 1] in (None, top):
            cut -= 1
        last_raw = next((raws[i] for i in reversed(range(cut)) if raws[i] is not None), None)
        state = None if last_raw is None else {"cursor_field": self.field_name, "cursor": last_raw}
        return records[:cut], records[cut:], state

    def state(self) -> dict[str, Any] | None:
        """The state to save after everything seen so far; None when nothing new arrived."""
        return None if self.best is None else {"cursor_field": self.field_name, "cursor": self.best[1]}


@dataclass
class StreamConfig:
    """One stream's settings, with the connector-wide pagination as default."""

    name: str
    path: str
    records_path: str
    params: dict[str, Any]
    primary_key: list[str]
    cursor_field: str | None
    cursor_param: str | None
    pagination: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: dict[str, Any], default_pagination: dict[str, Any]) -> StreamConfig:
        pk = raw.get("primary_key") or []
        pagination = raw.get("pagination") or default_pagination or {"type": "none"}
        if pagination.get("type", "none") not in PAGINATION_TYPES:
            raise ConfigError(
                f"Stream '{raw.get('name')}': unknown pagination '{pagination.get('type')}'",
                hint=f"use one of: {', '.join(PAGINATION_TYPES)}",
            )
        if not raw.get("name") or not raw.get("path"):
            raise ConfigError("Every REST stream needs a name and a path", hint="edit the source's streams")
        return cls(raw["name"], raw["path"], raw.get("records_path") or "", dict(raw.get("params") or {}), [pk] if isinstance(pk, str) else list(pk),
                   raw.get("cursor_field"), raw.get("cursor_param"), pagination)  # fmt: skip


@dataclass
class Page:
    number: int
    records: list[dict[str, Any]]


class RestApiConnector:
    """Reads JSON records from any paginated HTTP API."""

    type: ClassVar[str] = "rest_api"
    name: ClassVar[str] = "REST API (JSON)"
    api_version: ClassVar[str] = "generic JSON over HTTP; RFC 8288 Link, RFC 6750 bearer, RFC 7617 basic"

    def __init__(self, *, backoff_base: float = 0.5, transport: httpx.BaseTransport | None = None) -> None:
        self.backoff_base = backoff_base
        self.transport = transport

    def spec(self) -> dict[str, Any]:
        return _spec()

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        """Fetch the first page of every stream (proves URL, credentials and records paths)."""
        with self._client(config, ctx) as client:
            for stream in self._streams(config).values():
                next(self._pages(client, config, stream, {}), None)

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        """Infer each stream's columns, keys and cursor candidates from its first page."""
        streams = []
        with self._client(config, ctx) as client:
            for stream in self._streams(config).values():
                page = next(self._pages(client, config, stream, {}), Page(1, []))
                streams.append(_infer_stream(stream, page.records))
        return streams

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        """Page through the endpoint; with a cursor, send the saved value and save the largest one seen."""
        settings = self._streams(config).get(stream.name)
        if settings is None:
            raise ConfigError(
                f"Stream '{stream.name}' is not configured in this REST source",
                hint="run Discover again and update the selected streams",
            )
        tracker = self._tracker(stream, settings, state)
        extra = (
            {settings.cursor_param: tracker.saved}
            if tracker and tracker.saved is not None and settings.cursor_param
            else {}
        )
        names: dict[str, dict[str, str]] = {}
        pending: list[Batch] = []
        buffer: list[dict[str, Any]] = []
        with self._client(config, ctx) as client:
            for page in self._pages(client, config, settings, extra):
                for position, record in enumerate(page.records, 1):
                    _check_key(settings, record, page.number, position)
                    if tracker is None or tracker.keep(record, page.number, position):
                        buffer.append(record)
                if len(buffer) >= ctx.batch_rows:
                    ready, buffer, state_now = tracker.split(buffer) if tracker is not None else (buffer, [], None)
                    if ready:
                        yield from pending  # one group held back so the final state always has a batch to ride on
                        pending = _group(settings, ready, names, state_now)
        final_state = tracker.state() if tracker is not None else None
        if buffer:
            yield from pending
            pending = _group(settings, buffer, names, final_state)
        elif pending and final_state is not None:
            pending[-1].state = final_state
        yield from pending

    def _tracker(
        self, stream: ConfiguredStream, settings: StreamConfig, state: dict[str, Any] | None
    ) -> CursorTracker | None:
        if stream.sync_mode == SyncMode.full_refresh:
            return None
        cursor = stream.cursor_field or settings.cursor_field
        if not cursor:
            raise ConfigError(
                f"Stream '{stream.name}': incremental sync needs a cursor field",
                hint="set the stream's cursor field (e.g. updated_at) or use full refresh",
            )
        saved = state.get("cursor") if state and state.get("cursor_field") == cursor else None
        return CursorTracker(stream.name, cursor, saved=saved)

    def _streams(self, config: dict[str, Any]) -> dict[str, StreamConfig]:
        base = str(config.get("base_url") or "")
        if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
            raise ConfigError(
                f"'{base}' is not an http(s) URL", hint="enter the API's base URL, e.g. https://api.example.org"
            )
        streams = [StreamConfig.parse(s, config.get("pagination") or {}) for s in config.get("streams") or []]
        if not streams:
            raise ConfigError("This REST source has no streams", hint="add at least one stream with a name and a path")
        by_name = {s.name: s for s in streams}
        if len(by_name) != len(streams):
            raise ConfigError("Two REST streams share a name", hint="give every stream its own name")
        return by_name

    def _client(self, config: dict[str, Any], ctx: ReadContext) -> ApiClient:
        auth = config.get("auth") or {"type": "none"}
        kind = auth.get("type", "none")
        headers = dict(config.get("headers") or {})
        basic: tuple[str, str] | None = None
        if kind not in AUTH_TYPES:
            raise ConfigError(f"Unknown auth type '{kind}'", hint=f"use one of: {', '.join(AUTH_TYPES)}")
        if kind == "header":
            headers[auth.get("header_name") or "X-API-Key"] = _required(auth, "header_value")
        elif kind == "bearer":
            headers["Authorization"] = f"Bearer {_required(auth, 'token')}"
        elif kind == "basic":
            basic = (_required(auth, "username"), _required(auth, "password"))
        host = urlsplit(config["base_url"]).netloc
        return ApiClient(f"The API at {host}", config["base_url"], ctx, headers=headers, auth=basic, transport=self.transport,
                         backoff_base=self.backoff_base, auth_hint=f"edit the source and check its {kind} credentials")  # fmt: skip

    def _pages(
        self, client: ApiClient, config: dict[str, Any], stream: StreamConfig, extra: dict[str, Any]
    ) -> Iterator[Page]:
        """Pages of records until an empty page, no next link/token, or the total is reached."""
        auth = config.get("auth") or {}
        auth_params = (
            {auth.get("param_name") or "api_key": _required(auth, "param_value")} if auth.get("type") == "query" else {}
        )
        paging = _Paging(stream.pagination, {**stream.params, **extra, **auth_params}, auth_params, config["base_url"])
        url: str = stream.path
        number, fetched = 1, 0
        while True:
            client.ctx.check_cancelled()
            try:
                # httpx replaces a URL's own query with `params`, so a next URL travels without them.
                response = client.request("GET", url, params=paging.params or None)
                body = _decode(response, client.service)
                records = extract_records(body, stream.records_path, stream.name, number)
            except (TerminalError, TransientError) as err:
                raise _in_context(err, f"Stream '{stream.name}', page {number}: ") from err
            if not records and paging.kind in ("page_number", "offset"):
                return
            yield Page(number, records)
            fetched += len(records)
            total = dig(body, paging.settings.get("total_path"))
            if isinstance(total, (int, float)) and fetched >= total:
                return
            following = paging.advance(response, body, len(records), stream.name, url)
            if following is None:
                return
            url, number = following, number + 1


class _Paging:
    """Query parameters and the next URL for one pagination style."""

    def __init__(
        self, settings: dict[str, Any], params: dict[str, Any], auth_params: dict[str, Any], base_url: str
    ) -> None:
        self.settings, self.kind = settings, settings.get("type", "none")
        self.params: dict[str, Any] = dict(params)
        self.auth_params, self.base_host = auth_params, urlsplit(base_url).netloc
        self.seen: set[str] = set()
        size, size_param = int(settings.get("page_size") or 100), settings.get("size_param")
        if self.kind == "page_number":
            self.params[settings.get("page_param") or "page"] = int(settings.get("start_page", 1))
            self.params[size_param or "per_page"] = size
        elif self.kind == "offset":
            self.params[settings.get("offset_param") or "offset"] = 0
            self.params[size_param or "limit"] = size
        elif size_param:
            self.params[size_param] = size

    def advance(self, response: httpx.Response, body: Any, count: int, stream: str, url: str) -> str | None:
        """Move the parameters to the next page and return its URL, or None when there is no next page."""
        s = self.settings
        if self.kind == "page_number":
            self.params[s.get("page_param") or "page"] += 1
            return url
        if self.kind == "offset":
            self.params[s.get("offset_param") or "offset"] += count
            return url
        if self.kind == "cursor":
            token = dig(body, s.get("cursor_path") or "next_cursor")
            if token in (None, ""):
                return None
            self._once(str(token), stream)
            self.params[s.get("cursor_param") or "cursor"] = token
            return url
        if self.kind == "link_header":
            found = response.links.get("next", {}).get("url")
        elif self.kind == "next_url":
            found = dig(body, s.get("next_url_path") or "next")
        else:
            return None
        return self._next_url(str(response.request.url), found, stream) if found else None

    def _next_url(self, current: str, found: Any, stream: str) -> str:
        following = urljoin(current, str(found))
        if urlsplit(following).netloc != self.base_host:
            raise TerminalError(
                f"Stream '{stream}': the next page is on another host ({urlsplit(following).netloc})",
                hint="credentials are only sent to the base URL's host; check the base URL",
            )
        self._once(following, stream)
        self.params = {}  # the next URL carries its own query; only the auth parameter is added
        return str(httpx.URL(following).copy_merge_params(self.auth_params))

    def _once(self, token: str, stream: str) -> None:
        if token in self.seen:
            raise TerminalError(
                f"Stream '{stream}': the API returned the same next page twice ({token[:80]})",
                hint="check the stream's pagination settings",
            )
        self.seen.add(token)


def _required(settings: dict[str, Any], key: str) -> str:
    value = settings.get(key)
    if not value:
        raise ConfigError(
            f"The REST source's {settings.get('type')} auth needs '{key}'",
            hint="edit the source and fill in its credentials",
        )
    return str(value)


def _decode(response: httpx.Response, service: str) -> Any:
    try:
        return response.json()
    except ValueError as err:
        raise TerminalError(
            f"{service} answered {response.request.url.path} with something that is not JSON",
            hint="check the base URL and path point at the API",
        ) from err


def _in_context(err: PipelineError, prefix: str) -> PipelineError:
    if isinstance(err, TransientError):
        return TransientError(prefix + err.message, hint=err.hint, retry_after=err.retry_after)
    return type(err)(prefix + err.message, hint=err.hint)


def _check_key(stream: StreamConfig, record: dict[str, Any], page: int, position: int) -> None:
    for key in stream.primary_key:
        if dig(record, key) is None:
            raise BadInputError(
                f"Stream '{stream.name}': record {position} on page {page} has no value for primary key '{key}'",
                hint="check the stream's primary key, or fix the record at the source",
            )


def _group(
    stream: StreamConfig, records: list[dict[str, Any]], names: dict[str, dict[str, str]], state: dict[str, Any] | None
) -> list[Batch]:
    """Batches for one group of records: the stream's table, then its child tables; the last one carries the state.

    The loader replaces a re-loaded parent's children when it merges the parent, so children must follow it,
    and the state must wait until the whole group is in.
    """
    key = stream.primary_key[0] if len(stream.primary_key) == 1 else None
    tables = records_to_tables(stream.name, records, key_field=key)
    batches = [
        Batch(t, rows_to_arrow(rows, names.setdefault(t, {})), parent_key=None if t == stream.name else PARENT_ID)
        for t, rows in tables.items()
        if rows or t == stream.name
    ]
    batches[-1].state = state
    return batches


_DUCK_TYPES = {
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.string(): "VARCHAR",
    pa.list_(pa.string()): "VARCHAR[]",
}


def _infer_stream(stream: StreamConfig, records: list[dict[str, Any]]) -> Stream:
    """Columns, key and cursor candidates from a sample of records."""
    key = stream.primary_key[0] if len(stream.primary_key) == 1 else None
    tables = records_to_tables(stream.name, records, key_field=key)
    names: dict[str, str] = {}
    table = rows_to_arrow(tables[stream.name], names)
    original = {v: k for k, v in names.items()}
    columns = [Column(f.name, _DUCK_TYPES.get(f.type, "VARCHAR"), original[f.name]) for f in table.schema]
    flat = tables[stream.name]
    cursors = [c.name for c in columns if _looks_like_cursor(original[c.name], [r.get(original[c.name]) for r in flat])]
    if stream.cursor_field and stream.cursor_field in names:
        cursors = [names[stream.cursor_field], *[c for c in cursors if c != names[stream.cursor_field]]]
    pk = [names.get(k, k) for k in stream.primary_key] or [
        c.name for c in columns if c.name in ("id", "_id", "uuid") and _unique(table.column(c.name))
    ][:1]
    preferred = [c for c in cursors if any(w in c for w in ("updated", "modified", "changed"))]
    modes = (
        [SyncMode.full_refresh]
        + ([SyncMode.incremental_append] if cursors else [])
        + ([SyncMode.incremental_dedup] if cursors and pk else [])
    )
    return Stream(name=stream.name, columns=columns, primary_key=pk, cursor_candidates=cursors,
                  default_cursor=names.get(stream.cursor_field or "") or next(iter(preferred or cursors), None),
                  supported_sync_modes=modes, children=[t for t in tables if t != stream.name],
                  description=f"GET {stream.path} (columns inferred from the first page)")  # fmt: skip


def _looks_like_cursor(name: str, values: list[Any]) -> bool:
    kinds = {cursor_key(v)[0] for v in values if v is not None}
    if kinds == {"datetime"}:
        return True
    return kinds == {"number"} and any(
        w in name.lower() for w in ("updated", "modified", "changed", "created", "version", "seq")
    )


def _unique(column: pa.ChunkedArray) -> bool:
    return column.null_count == 0 and len(column.unique()) == len(column)
