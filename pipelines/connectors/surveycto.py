"""SurveyCTO connector: one stream per form, wide JSON submissions, review status kept.

Follows the SurveyCTO server REST API **v2** (SurveyCTO support article "API access", as quoted by
pysurveycto, rsurveycto and ctoclient):
- Basic auth with a user whose role allows server API access (otherwise HTTP 412).
- `GET https://<server>.surveycto.com/api/v2/forms/data/wide/json/<form_id>?date=<epoch>&r=<statuses>`:
  a JSON array of every submission whose CompletionDate is at or after `date` (epoch seconds, UTC),
  limited to the review statuses in `r` (approved|pending|rejected; the server default is approved
  only, so all three are asked for unless the source narrows it). There is no paging.
- Downloading *all* data (`date=0`) is rate limited: the server answers HTTP 417 with a message saying
  how many seconds to wait; that wait is honoured and retried like a Retry-After.
- Discover lists forms with `GET /api/v2/forms/ids` (or uses the form ids typed in the source), and
  takes columns from the submissions of the last 30 days (never a full download, which would trigger
  the 417 limit right before the first sync).

Incremental state is `{"date": <epoch of newest CompletionDate>, "keys_at_cursor": [...]}`; the filter is
inclusive, so submissions at the cursor second that were already loaded are skipped. Wide repeat fields
(`name_1`, `name_2`) stay columns as SurveyCTO exports them; nested arrays, if any, become child tables.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import pyarrow as pa

from pipelines.connectors.base import Batch, Column, ConfiguredStream, ReadContext, Stream, SyncMode
from pipelines.connectors.http import ApiClient, guarded_transport
from pipelines.connectors.records import PARENT_ID, records_to_tables, rows_to_arrow
from pipelines.errors import AuthError, BadInputError, ConfigError, TerminalError, TransientError
from pipelines.naming import normalise_identifier

AUTH_HINT = "edit the source and re-enter the SurveyCTO username and password"
ACCESS_HINT = "in SurveyCTO (Users tab) give this user a role that allows server API access"
REVIEW_STATUSES = ("approved", "pending", "rejected")
CURSOR = "CompletionDate"
BASE_COLUMNS = (
    "KEY", "SubmissionDate", "CompletionDate", "starttime", "endtime", "deviceid", "instanceID",
    "formdef_version", "review_status", "review_quality",
)  # fmt: skip
MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
DATE_RE = re.compile(r"^\s*([A-Za-z]{3})[a-z]*\.? (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2}) ?([AaPp][Mm])\s*$")
SAMPLE_DAYS = 30
ALL_MODES = [SyncMode.full_refresh, SyncMode.incremental_append, SyncMode.incremental_dedup]


class SurveyCtoConnector:
    """SurveyCTO forms (basic auth, `date` epoch incremental, review status kept as a column)."""

    type: ClassVar[str] = "surveycto"
    name: ClassVar[str] = "SurveyCTO"
    api_version: ClassVar[str] = "SurveyCTO server API v2 (forms/ids, forms/data/wide/json)"

    def spec(self) -> dict[str, Any]:
        return {
            "type": "object",
            "title": "SurveyCTO",
            "required": ["server", "username", "password"],
            "properties": {
                "server": {"type": "string", "title": "Server name",
                           "description": "The part before .surveycto.com, e.g. 'myorg' for https://myorg.surveycto.com."},
                "username": {"type": "string", "title": "Username", "description": "Email of a user allowed to use the API."},
                "password": {"type": "string", "title": "Password", "format": "password", "writeOnly": True},
                "form_ids": {"type": "array", "items": {"type": "string"}, "title": "Form ids (optional)",
                             "description": "Leave empty to offer every form on the server."},
                "review_status": {"type": "array", "title": "Review statuses",
                                  "items": {"type": "string", "enum": list(REVIEW_STATUSES)},
                                  "default": list(REVIEW_STATUSES), "uniqueItems": True,
                                  "description": "Which submissions to load; the status is kept in review_status."},
                "start_date": {"type": "string", "format": "date", "title": "Start date (optional)",
                               "description": "Ignore submissions completed before this date."},
                "base_url": {"type": "string", "format": "uri", "title": "Server URL (advanced)",
                             "description": "Only for a server not at https://<server>.surveycto.com."},
            },
        }  # fmt: skip

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        """List the forms; named forms must exist."""
        with _client(config, ctx) as client:
            known = _form_ids(client)
        missing = [f for f in config.get("form_ids") or [] if f not in known]
        if missing:
            raise ConfigError(
                f"SurveyCTO server has no form {', '.join(map(repr, missing))}", hint="check the form ids"
            )

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        with _client(config, ctx) as client:
            return [_describe(client, config, name, form_id) for name, form_id in _streams(client, config).items()]

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        incremental = stream.sync_mode != SyncMode.full_refresh
        cursor = _Cursor.load(stream.name, state) if incremental and state else _Cursor.start(config)
        with _client(config, ctx) as client:
            try:
                form_id = _streams(client, config).get(stream.name)
                if form_id is None:
                    raise ConfigError(f"SurveyCTO has no form for stream '{stream.name}'", hint="run Discover again")
                records = _download(client, config, form_id, cursor.date)
            except AuthError as err:
                raise AuthError(f"While reading '{stream.name}': {err.message}", hint=err.hint) from err
        yield from _batches(stream.name, records, cursor, ctx)


# ---- cursor ---------------------------------------------------------------------------------


@dataclass
class _Cursor:
    """Newest CompletionDate loaded (epoch seconds) and the KEYs at exactly that second."""

    date: int = 0
    keys: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, config: dict[str, Any]) -> _Cursor:
        start = config.get("start_date")
        if not start:
            return cls()
        try:
            day = datetime.fromisoformat(str(start)).replace(tzinfo=UTC)
        except ValueError as err:
            raise ConfigError(f"Start date {start!r} is not a date", hint="use the form YYYY-MM-DD") from err
        return cls(int(day.timestamp()))

    @classmethod
    def load(cls, stream: str, state: dict[str, Any]) -> _Cursor:
        raw = state.get("date", 0)
        if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())):
            raise BadInputError(
                f"Saved cursor of stream '{stream}' is not an epoch date: {raw!r}",
                hint="reset the stream (full refresh) to start over",
            )
        return cls(int(raw), {str(k) for k in state.get("keys_at_cursor") or []})

    def is_new(self, key: str, when: int | None) -> bool:
        return when is None or when > self.date or (when == self.date and key not in self.keys)

    def advance(self, key: str, when: int | None) -> None:
        if when is None or when < self.date:
            return
        if when > self.date:
            self.date, self.keys = when, set()
        self.keys.add(key)

    def state(self) -> dict[str, Any]:
        return {"date": self.date, "keys_at_cursor": sorted(self.keys)}


def parse_surveycto_date(text: str) -> int:
    """ "Oct 10, 2015 6:26:24 PM" (UTC) → epoch seconds; locale-independent. Raises ValueError."""
    match = DATE_RE.match(text)
    if not match or match.group(1).lower() not in MONTHS:
        raise ValueError(text)
    mon, day, year, hour, minute, second, half = match.groups()
    hour_24 = int(hour) % 12 + (12 if half.lower() == "pm" else 0)
    when = datetime(int(year), MONTHS[mon.lower()], int(day), hour_24, int(minute), int(second), tzinfo=UTC)
    return int(when.timestamp())


# ---- HTTP -----------------------------------------------------------------------------------


class _SurveyCtoStatuses(httpx.BaseTransport):
    """Turns SurveyCTO's own status codes into engine errors before the shared client sees them."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if response.status_code not in (412, 417):
            return response
        response.read()
        message = _error_message(response)
        response.close()
        if response.status_code == 412:
            raise AuthError(f"SurveyCTO refused API access for this user: {message}", hint=ACCESS_HINT)
        wait = re.search(r"(\d+)\s*sec", message) or re.search(r"(\d+)", message)
        raise TransientError(
            f"SurveyCTO asks to wait before downloading all data again: {message}",
            retry_after=float(wait.group(1)) if wait else 300.0,
        )

    def close(self) -> None:
        self.inner.close()


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _client(config: dict[str, Any], ctx: ReadContext) -> ApiClient:
    for key in ("username", "password"):
        if not config.get(key):
            raise ConfigError(f"SurveyCTO source is missing '{key}'", hint="edit the source and fill it in")
    server = str(config.get("server") or "").strip()
    if not config.get("base_url") and not re.fullmatch(r"[A-Za-z0-9-]+", server):
        raise ConfigError(
            f"SurveyCTO server name {server!r} is not valid", hint="type only the part before .surveycto.com"
        )
    return ApiClient(
        "SurveyCTO",
        str(config.get("base_url") or f"https://{server}.surveycto.com"),
        ctx,
        auth=(str(config["username"]), str(config["password"])),
        auth_hint=AUTH_HINT,
        transport=_SurveyCtoStatuses(guarded_transport(ctx.network, "SurveyCTO")),
    )


def _form_ids(client: ApiClient) -> list[str]:
    body = client.get_json("/api/v2/forms/ids")
    if not isinstance(body, list):
        raise TerminalError("SurveyCTO answered the form list with something that is not a list")
    return [str(f) for f in body]


def _streams(client: ApiClient, config: dict[str, Any]) -> dict[str, str]:
    """Stream name → form id, in server order; names are safe identifiers, unique."""
    ids = list(config.get("form_ids") or []) or _form_ids(client)
    streams: dict[str, str] = {}
    for form_id in ids:
        name, n = normalise_identifier(form_id, fallback="form"), 1
        while name in streams:
            n += 1
            name = f"{normalise_identifier(form_id, fallback='form')}_{n}"
        streams[name] = form_id
    return streams


def _download(client: ApiClient, config: dict[str, Any], form_id: str, since: int) -> list[dict[str, Any]]:
    statuses = [s for s in config.get("review_status") or REVIEW_STATUSES if s in REVIEW_STATUSES]
    params = {"date": since, "r": "|".join(statuses or REVIEW_STATUSES)}
    body = client.get_json(f"/api/v2/forms/data/wide/json/{form_id}", params=params)
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        raise TerminalError(f"SurveyCTO answered form '{form_id}' with something that is not a list of submissions")
    return body


# ---- streams and batches --------------------------------------------------------------------


def _describe(client: ApiClient, config: dict[str, Any], name: str, form_id: str) -> Stream:
    since = max(_Cursor.start(config).date, int(time.time()) - SAMPLE_DAYS * 86400)
    sample = _download(client, config, form_id, since)
    tables = records_to_tables(name, [_with_review_status(r) for r in sample], key_field="KEY")
    raw_names = list(dict.fromkeys([*BASE_COLUMNS, *(k for row in tables.pop(name) for k in row)]))
    mapping: dict[str, str] = {}
    rows_to_arrow([dict.fromkeys(raw_names, "")], mapping)  # the same normalisation a sync applies
    return Stream(
        name=name,
        columns=[Column(mapping[raw], "VARCHAR", original_name=raw) for raw in raw_names],
        primary_key=[mapping["KEY"]],
        cursor_candidates=[mapping["CompletionDate"], mapping["SubmissionDate"]],
        default_cursor=mapping["CompletionDate"],
        supported_sync_modes=list(ALL_MODES),
        children=list(tables),
        description=f"SurveyCTO form '{form_id}' (columns seen in the last {SAMPLE_DAYS} days; more appear on sync)",
    )


def _with_review_status(record: dict[str, Any]) -> dict[str, Any]:
    """Forms without the review workflow omit the field; keep the column anyway."""
    return record if "review_status" in record else {**record, "review_status": None}


def _completion(stream: str, record: dict[str, Any]) -> int | None:
    raw = record.get(CURSOR)
    if raw in (None, ""):
        return None  # a missing field loads as NULL and does not move the cursor
    try:
        return parse_surveycto_date(str(raw))
    except ValueError as err:
        raise BadInputError(
            f"SurveyCTO stream '{stream}': submission {record.get('KEY')} has a {CURSOR} that is not a date: {raw!r}",
            hint="check this submission in the SurveyCTO console; nothing from this sync was loaded after it",
        ) from err


def _batches(stream: str, records: list[dict[str, Any]], start: _Cursor, ctx: ReadContext) -> Iterator[Batch]:
    """Oldest first, `ctx.batch_rows` submissions per batch; each batch's last table carries the state."""
    dated = [(_completion(stream, r), r) for r in records]
    dated.sort(key=lambda pair: (pair[0] is None, pair[0] or 0))
    fresh = [(when, r) for when, r in dated if start.is_new(str(r.get("KEY")), when)]
    cursor = _Cursor(start.date, set(start.keys))
    names: dict[str, dict[str, str]] = {}
    size = max(1, ctx.batch_rows)
    for offset in range(0, len(fresh), size):
        chunk = fresh[offset : offset + size]
        for when, record in chunk:
            cursor.advance(str(record.get("KEY")), when)
        tables = records_to_tables(stream, [_with_review_status(r) for _, r in chunk], key_field="KEY")
        items = [(t, rows) for t, rows in tables.items() if rows]
        for index, (table, rows) in enumerate(items):
            state = cursor.state() if index == len(items) - 1 else None
            data = _text_if_all_null(rows_to_arrow(rows, names.setdefault(table, {})))
            yield Batch(table, data, state=state, parent_key=None if table == stream else PARENT_ID)
        ctx.progress({"stream": stream, "rows": offset + len(chunk), "total": len(fresh)})


def _text_if_all_null(table: pa.Table) -> pa.Table:
    """A column with no value in this batch would be typed BOOLEAN; make it text so batches agree."""
    for i, col in enumerate(table.columns):
        if col.null_count == len(col) and not pa.types.is_string(col.type):
            table = table.set_column(i, table.field(i).name, pa.nulls(len(col), pa.string()))
    return table
