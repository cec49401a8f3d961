"""CommCare HQ connector: one stream per form (xmlns) and one per case type.

Follows the CommCare HQ data APIs **v0.5** as documented in dimagi/commcare-hq `docs/api`:
- List Forms `GET /a/<domain>/api/v0.5/form/` and List Cases `GET /a/<domain>/api/v0.5/case/` with
  `limit` (server-capped: 1000 forms / 5000 cases), `offset`, `order_by=indexed_on`, `indexed_on_start`
  (inclusive; "the recommended field for pagination"), `xmlns=` (forms) and `type=` (cases).
  Pages are followed through `meta.next` until it is null.
- Application Structure `GET /a/<domain>/api/v0.5/application/` for the forms (xmlns, name, repeat
  groups) and case types. Without access to it, streams come from the newest 5000 forms/cases seen
  (`order_by=-indexed_on`); repeats are then recognised only when they arrive as lists.
- Auth header `Authorization: ApiKey <username>:<api key>`.

Form JSON is XML turned into JSON, so a repeat group with one entry is an object: repeat paths from the
application structure are wrapped back into lists before repeats become child tables
(`<stream>__<repeat>`, linked by the form id). Attachments become a `<stream>__attachments` child table.
Incremental state is `{"indexed_on": <newest seen>, "ids_at_cursor": [...]}`: the filter is inclusive and
floored to the second, so records at or before the cursor that were already loaded are skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urljoin, urlsplit

import pyarrow as pa

from pipelines.connectors.base import Batch, Column, ConfiguredStream, ReadContext, Stream, SyncMode
from pipelines.connectors.http import ApiClient
from pipelines.connectors.records import PARENT_ID, records_to_tables, rows_to_arrow
from pipelines.errors import AuthError, BadInputError, ConfigError, TerminalError, TransientError
from pipelines.naming import normalise_identifier

AUTH_HINT = "edit the source and paste a new API key (CommCare HQ → My Account Settings → API Keys)"
DEFAULT_URL = "https://www.commcarehq.org"
FORM_META = ("id", "indexed_on", "received_on", "server_modified_on", "app_id", "build_id", "archived", "edited_on")
CASE_META = (
    "case_id", "indexed_on", "date_modified", "server_date_modified", "closed", "date_closed", "user_id",
    "opened_by", "closed_by",
)  # fmt: skip
FORM_HEADER_KEYS = {"#type", "@name", "@uiVersion", "@version", "@xmlns"}
CURSOR = "indexed_on"
SCAN_LIMIT = 5000  # records looked at to find forms/case types when the application structure is hidden
ALL_MODES = [SyncMode.full_refresh, SyncMode.incremental_append, SyncMode.incremental_dedup]


@dataclass
class _StreamDef:
    """What a stream reads: forms of one xmlns or cases of one type."""

    name: str
    kind: str  # "form" | "case"
    key: str  # xmlns or case type
    label: str
    base_url: str
    repeats: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def primary_key(self) -> str:
        return "id" if self.kind == "form" else "case_id"


class CommCareConnector:
    """CommCare HQ forms and cases (API key auth, `indexed_on` incremental, `meta.next` paging)."""

    type: ClassVar[str] = "commcare"
    name: ClassVar[str] = "CommCare HQ"
    api_version: ClassVar[str] = "CommCare HQ data API v0.5 (form, case, application structure)"

    def spec(self) -> dict[str, Any]:
        return {
            "type": "object",
            "title": "CommCare HQ",
            "required": ["domain", "username", "api_key"],
            "properties": {
                "base_url": {"type": "string", "title": "Server URL", "default": DEFAULT_URL, "format": "uri",
                             "description": "Change only for a self-hosted or regional CommCare server."},
                "domain": {"type": "string", "title": "Project space",
                           "description": "The name after /a/ in your CommCare HQ address, e.g. 'my-project'."},
                "username": {"type": "string", "title": "Username", "description": "The email you log in with."},
                "api_key": {"type": "string", "title": "API key", "format": "password", "writeOnly": True,
                            "description": "Create one in CommCare HQ under My Account Settings → API Keys."},
                "app_id": {"type": "string", "title": "Application id (optional)",
                           "description": "Only list the forms of this application."},
                "include_forms": {"type": "boolean", "title": "Forms", "default": True},
                "include_cases": {"type": "boolean", "title": "Cases", "default": True},
                "start_date": {"type": "string", "format": "date", "title": "Start date (optional)",
                               "description": "Ignore data indexed before this date on the first sync."},
                "page_size": {"type": "integer", "title": "Records per page", "default": 1000, "minimum": 1,
                              "maximum": 1000},
            },
        }  # fmt: skip

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        """One small case request proves the server, project space and key."""
        with _client(config, ctx) as client:
            try:
                client.get_json(_path(config, "case"), params={"limit": 1})
            except AuthError as err:
                raise AuthError(
                    f"CommCare API key rejected for {config.get('username')} on project space '{config.get('domain')}'",
                    hint=AUTH_HINT,
                ) from err

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        with _client(config, ctx) as client:
            return [_describe(client, config, d) for d in _stream_defs(client, config)]

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        with _client(config, ctx) as client:
            defs = {d.name: d for d in _stream_defs(client, config)}
            if stream.name not in defs:
                raise ConfigError(f"CommCare has no stream '{stream.name}' any more", hint="run Discover again")
            incremental = stream.sync_mode != SyncMode.full_refresh
            cursor = _Cursor.load(stream.name, state) if incremental and state else _Cursor.start(config)
            yield from _read_stream(client, config, defs[stream.name], cursor, ctx)


# ---- cursor ---------------------------------------------------------------------------------


@dataclass
class _Cursor:
    """Newest `indexed_on` loaded and the ids that carry exactly that value."""

    value: datetime | None = None
    raw: str | None = None
    ids: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, config: dict[str, Any]) -> _Cursor:
        start = config.get("start_date")
        return cls(_parse_time(str(start), "start date", "config")) if start else cls()

    @classmethod
    def load(cls, stream: str, state: dict[str, Any]) -> _Cursor:
        raw = state.get(CURSOR)
        if raw is None:
            return cls()
        value = _parse_time(raw, f"saved cursor of stream '{stream}'", "state")
        return cls(value, str(raw), {str(i) for i in state.get("ids_at_cursor") or []})

    def is_new(self, record_id: str, when: datetime | None) -> bool:
        if self.value is None or when is None:
            return True
        return when > self.value or (when == self.value and record_id not in self.ids)

    def advance(self, record_id: str, when: datetime | None, raw: str) -> None:
        if when is None:
            return
        if self.value is None or when > self.value:
            self.value, self.raw, self.ids = when, raw, {record_id}
        elif when == self.value:
            self.ids.add(record_id)

    def state(self) -> dict[str, Any]:
        return {CURSOR: self.raw, "ids_at_cursor": sorted(self.ids)}

    def copy(self) -> _Cursor:
        return _Cursor(self.value, self.raw, set(self.ids))


def _parse_time(raw: Any, what: str, where: str) -> datetime:
    """ISO date/time → naive UTC (forms carry `Z`, cases are naive UTC); junk → BadInputError."""
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError as err:
        hint = "reset the stream (full refresh) to start over" if where == "state" else "use the form YYYY-MM-DD"
        raise BadInputError(f"The {what} is not a date/time: {raw!r}", hint=hint) from err
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


# ---- HTTP -----------------------------------------------------------------------------------


def _client(config: dict[str, Any], ctx: ReadContext) -> ApiClient:
    for key in ("domain", "username", "api_key"):
        if not config.get(key):
            raise ConfigError(f"CommCare source is missing '{key}'", hint="edit the source and fill it in")
    return ApiClient(
        "CommCare",
        _base_url(config),
        ctx,
        headers={"Authorization": f"ApiKey {config['username']}:{config['api_key']}"},
        auth_hint=AUTH_HINT,
    )


def _base_url(config: dict[str, Any]) -> str:
    return str(config.get("base_url") or DEFAULT_URL).rstrip("/")


def _path(config: dict[str, Any], resource: str) -> str:
    return f"/a/{config['domain']}/api/v0.5/{resource}/"


def _pages(client: ApiClient, config: dict[str, Any], resource: str, params: dict[str, Any]) -> Iterator[list[Any]]:
    """Yield `objects` of each page, following `meta.next` (relative or absolute, same host only)."""
    base = _base_url(config)
    url: str | None = f"{base}{_path(config, resource)}?{urlencode({k: v for k, v in params.items() if v is not None})}"
    while url:
        body = client.get_json(url)
        if not isinstance(body, dict) or not isinstance(body.get("objects"), list):
            raise TerminalError(f"CommCare answered {urlsplit(url).path} without a list of objects")
        yield body["objects"]
        next_link = (body.get("meta") or {}).get("next")
        url = urljoin(url, next_link) if next_link else None
        if url and urlsplit(url).netloc != urlsplit(base).netloc:
            raise TerminalError(f"CommCare pointed the next page at another server: {url}")


# ---- streams --------------------------------------------------------------------------------


def _stream_defs(client: ApiClient, config: dict[str, Any]) -> list[_StreamDef]:
    """Forms and case types from the application structure, else from the newest data seen."""
    try:
        forms, case_types = _from_applications(client, config)
    except TerminalError:  # incl. 403: a key may read data without seeing the applications
        forms, case_types = None, None
    defs: list[_StreamDef] = []
    used: set[str] = set()
    base = _base_url(config)
    if config.get("include_forms", True):
        for xmlns, label, repeats in forms if forms is not None else _forms_seen(client, config):
            name = _unique(f"form_{normalise_identifier(label)}", used)
            defs.append(_StreamDef(name, "form", xmlns, label, base, repeats))
    if config.get("include_cases", True):
        for case_type in case_types if case_types is not None else _case_types_seen(client, config):
            defs.append(
                _StreamDef(_unique(f"case_{normalise_identifier(case_type)}", used), "case", case_type, case_type, base)
            )
    return defs


def _from_applications(
    client: ApiClient, config: dict[str, Any]
) -> tuple[list[tuple[str, str, list[tuple[str, ...]]]], list[str]]:
    forms: dict[str, tuple[str, str, list[tuple[str, ...]]]] = {}
    case_types: dict[str, None] = {}
    for page in _pages(client, config, "application", {}):
        for app in page:
            if config.get("app_id") and app.get("id") != config["app_id"]:
                continue
            for case_type in app.get("case_types") or {}:
                case_types.setdefault(case_type, None)
            for module in app.get("modules") or []:
                if module.get("case_type"):
                    case_types.setdefault(module["case_type"], None)
                for form in module.get("forms") or []:
                    if form.get("xmlns") and form["xmlns"] not in forms:
                        forms[form["xmlns"]] = (form["xmlns"], _label(form.get("name")), _repeats(form))
    return list(forms.values()), list(case_types)


def _label(name: Any) -> str:
    if isinstance(name, dict):
        return str(name.get("en") or next(iter(name.values()), "form"))
    return str(name or "form")


def _repeats(form: dict[str, Any]) -> list[tuple[str, ...]]:
    """Repeat group paths below the form root, shallowest first: "/data/hh/member" → ("hh", "member")."""
    paths = {
        tuple(q["value"].strip("/").split("/")[1:]) for q in form.get("questions") or [] if q.get("tag") == "repeat"
    }
    return sorted((p for p in paths if p), key=len)


def _newest(client: ApiClient, config: dict[str, Any], resource: str) -> Iterator[dict[str, Any]]:
    """Up to SCAN_LIMIT records, newest first: the forms and case types in use now."""
    pages = _pages(client, config, resource, {"limit": 1000, "order_by": f"-{CURSOR}"})
    yield from itertools.islice(itertools.chain.from_iterable(pages), SCAN_LIMIT)


def _forms_seen(client: ApiClient, config: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, ...]]]]:
    seen: dict[str, tuple[str, str, list[tuple[str, ...]]]] = {}
    for obj in _newest(client, config, "form"):
        body = obj.get("form") or {}
        if body.get("@xmlns"):
            seen.setdefault(body["@xmlns"], (body["@xmlns"], str(body.get("@name") or "form"), []))
    return list(seen.values())


def _case_types_seen(client: ApiClient, config: dict[str, Any]) -> list[str]:
    types = [(o.get("properties") or {}).get("case_type") for o in _newest(client, config, "case")]
    return list(dict.fromkeys(t for t in types if t))


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}_{n}"
    used.add(candidate)
    return candidate


def _describe(client: ApiClient, config: dict[str, Any], d: _StreamDef) -> Stream:
    """Columns from one sample page, so they match what a sync writes."""
    params = _params(config, d, None, limit=100)
    sample = next(_pages(client, config, d.kind, params), [])
    tables = records_to_tables(d.name, [_row(d, o) for o in sample], key_field=d.primary_key, sep="/")
    names: dict[str, str] = {}
    parent = rows_to_arrow(tables.pop(d.name), names) if sample else pa.table({})
    original = {safe: raw for raw, safe in names.items()}
    columns = [Column(f.name, _duck_type(f.type), original_name=original.get(f.name)) for f in parent.schema]
    if not columns:
        meta = FORM_META if d.kind == "form" else CASE_META
        columns = [Column(c, "BOOLEAN" if c in ("archived", "closed") else "VARCHAR") for c in meta]
    children = list(tables) + [f"{d.name}__{normalise_identifier(p[-1])}" for p in d.repeats]
    what = f"form '{d.label}' ({d.key})" if d.kind == "form" else f"cases of type '{d.key}'"
    return Stream(
        name=d.name,
        columns=columns,
        primary_key=[d.primary_key],
        cursor_candidates=[CURSOR, "received_on" if d.kind == "form" else "server_date_modified"],
        default_cursor=CURSOR,
        supported_sync_modes=list(ALL_MODES),
        children=list(dict.fromkeys(children)),
        description=f"CommCare {what}",
    )


def _duck_type(dtype: pa.DataType) -> str:
    if pa.types.is_boolean(dtype):
        return "BOOLEAN"
    if pa.types.is_integer(dtype):
        return "BIGINT"
    if pa.types.is_floating(dtype):
        return "DOUBLE"
    if pa.types.is_list(dtype):
        return "VARCHAR[]"
    return "VARCHAR"


# ---- reading --------------------------------------------------------------------------------


def _params(config: dict[str, Any], d: _StreamDef, since: datetime | None, limit: int | None = None) -> dict[str, Any]:
    return {
        "xmlns" if d.kind == "form" else "type": d.key,
        "order_by": CURSOR,
        "indexed_on_start": since.strftime("%Y-%m-%dT%H:%M:%S") if since else None,
        "limit": limit or int(config.get("page_size") or 1000),
    }


def _read_stream(
    client: ApiClient, config: dict[str, Any], d: _StreamDef, start: _Cursor, ctx: ReadContext
) -> Iterator[Batch]:
    """One page → parent batch + child batches; the last batch of a page carries the new state."""
    cursor = start.copy()
    names: dict[str, dict[str, str]] = {}
    pages = _pages(client, config, d.kind, _params(config, d, start.value))
    for number in itertools.count(1):
        try:
            page = next(pages, None)
        except AuthError as err:
            raise AuthError(
                f"CommCare API key rejected while reading '{d.name}' (page {number})", hint=AUTH_HINT
            ) from err
        except (TerminalError, TransientError) as err:
            err.message = f"Stream '{d.name}', page {number}: {err.message}"
            raise
        if page is None:
            return
        rows = []
        for obj in page:
            record_id = str(obj.get(d.primary_key))
            when = _record_time(d, obj, record_id)
            if start.is_new(record_id, when):
                rows.append(_row(d, obj))
            cursor.advance(record_id, when, str(obj.get(CURSOR)))
        ctx.progress({"stream": d.name, "page": number, "rows": len(rows)})
        yield from _batches(d, rows, names, cursor.state())


def _record_time(d: _StreamDef, obj: dict[str, Any], record_id: str) -> datetime | None:
    raw = obj.get(CURSOR)
    if raw in (None, ""):
        return None  # a missing field loads as NULL and simply does not move the cursor
    return _parse_time(raw, f"'{CURSOR}' of record {record_id} in stream '{d.name}'", "data")


def _batches(
    d: _StreamDef, rows: list[dict[str, Any]], names: dict[str, dict[str, str]], state: dict[str, Any]
) -> Iterator[Batch]:
    tables = records_to_tables(d.name, rows, key_field=d.primary_key, sep="/")
    items = [(t, r) for t, r in tables.items() if r]
    for index, (table, table_rows) in enumerate(items):
        data = _text_if_all_null(rows_to_arrow(table_rows, names.setdefault(table, {})))
        last = index == len(items) - 1
        yield Batch(table, data, state=state if last else None, parent_key=None if table == d.name else PARENT_ID)


def _text_if_all_null(table: pa.Table) -> pa.Table:
    """A column with no value on this page would be typed BOOLEAN; make it text so pages agree."""
    for i, col in enumerate(table.columns):
        if col.null_count == len(col) and not pa.types.is_string(col.type):
            table = table.set_column(i, table.field(i).name, pa.nulls(len(col), pa.string()))
    return table


def _row(d: _StreamDef, obj: dict[str, Any]) -> dict[str, Any]:
    return _form_row(obj, d) if d.kind == "form" else _case_row(obj)


def _form_row(obj: dict[str, Any], d: _StreamDef) -> dict[str, Any]:
    body = {k: v for k, v in (obj.get("form") or {}).items() if k not in FORM_HEADER_KEYS}
    for path in d.repeats:
        _wrap_repeat(body, path)
    row: dict[str, Any] = {k: obj.get(k) for k in FORM_META}
    row["username"] = (obj.get("metadata") or {}).get("username")
    row["form"] = body
    attachments = obj.get("attachments") or {}
    if isinstance(attachments, dict) and attachments:
        row["attachments"] = [
            {"name": name, **(info or {}), "url": urljoin(d.base_url + "/", (info or {}).get("url") or "")}
            for name, info in attachments.items()
        ]
    return row


def _wrap_repeat(node: Any, path: tuple[str, ...]) -> None:
    """A repeat with one entry arrives as an object; make it a one-item list (walks through lists)."""
    if isinstance(node, list):
        for item in node:
            _wrap_repeat(item, path)
    elif isinstance(node, dict) and path:
        if len(path) == 1:
            if isinstance(node.get(path[0]), dict):
                node[path[0]] = [node[path[0]]]
        else:
            _wrap_repeat(node.get(path[0]), path[1:])


def _case_row(obj: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {k: obj.get(k) for k in CASE_META}
    for key, value in (obj.get("properties") or {}).items():
        row[key if key not in row else f"properties/{key}"] = value
    if obj.get("indices"):
        row["indices"] = obj["indices"]
    row["xform_ids"] = obj.get("xform_ids")
    return row
