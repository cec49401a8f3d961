"""Google Sheets connector: each tab a stream, through a public link or a service account.

Two ways in, both documented by Google:
- **Public link** — a sheet shared as "Anyone with the link" (or published) is read through its CSV export
  `https://docs.google.com/spreadsheets/d/<id>/export?format=csv&gid=<gid>`, one request per tab. Google
  answers a sheet that is not shared with a sign-in page (HTML), reported as an access error. Tabs are
  named in the source (name + gid); without them the gid in the pasted URL (or 0) is used.
- **Service account** — Google Sheets API **v4**: `GET /v4/spreadsheets/<id>?fields=sheets.properties`
  lists the tabs (sheetId, title, rowCount) and `GET /v4/spreadsheets/<id>/values/'<title>'!<a>:<b>`
  reads `page_rows` rows per request (values as displayed, trailing empty cells left out). The token comes
  from the OAuth2 JWT-bearer grant: an RS256 JWT signed with the key in the service-account JSON, posted to
  its `token_uri`. A 401 mid-sync gets one fresh token; a second 401/403 is an AuthError.

Row 1 is the header (names made safe and unique; the original kept as `original_name`); every value is
text as shown in the sheet, an empty cell is NULL, and `_sheet_row` keeps the row number in the sheet.
Sheets have no cursor, so streams are full refresh only.

Renamed tabs: a tab is identified by its sheetId. Every batch's state is `{"sheet_id", "title"}`; when
`read` gets that state back and the tab now has another title, it keeps reading the same tab into the
same stream and reports `{"event": "renamed", ...}` through `ctx.progress`. `renamed_streams(config, ctx,
known)` maps old stream names to new ones for a caller holding `{stream name: sheet_id}` (from saved
states) so the rename can be listed as a schema change instead of a new stream.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

import jwt
import pyarrow as pa

from pipelines.connectors.base import Batch, Column, ConfiguredStream, ReadContext, Stream
from pipelines.connectors.http import ApiClient
from pipelines.errors import AuthError, BadInputError, ConfigError, TerminalError
from pipelines.naming import normalise_columns, normalise_identifier

DEFAULT_API = "https://sheets.googleapis.com"
DEFAULT_EXPORT = "https://docs.google.com"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
ROW_COLUMN = "_sheet_row"
KEY_HINT = "create a new JSON key for the service account in Google Cloud (IAM → Service accounts → Keys) and paste it"
PUBLIC_HINT = "in Google Sheets choose Share → General access → Anyone with the link (Viewer), or use a service account"


@dataclass(frozen=True)
class _Tab:
    sheet_id: int
    title: str
    row_count: int


class GoogleSheetsConnector:
    """Google Sheets tabs via the CSV export of a public sheet or the Sheets API v4 with a service account."""

    type: ClassVar[str] = "google_sheets"
    name: ClassVar[str] = "Google Sheets"
    api_version: ClassVar[str] = "Google Sheets API v4 (service account) / CSV export URL (public link)"
    reads_state_on_full_refresh: ClassVar[bool] = True  # the saved sheetId follows a renamed tab

    def spec(self) -> dict[str, Any]:
        return {
            "type": "object",
            "title": "Google Sheets",
            "required": ["spreadsheet"],
            "properties": {
                "spreadsheet": {"type": "string", "title": "Spreadsheet link or id",
                                "description": "Paste the address from the browser, e.g. https://docs.google.com/spreadsheets/d/…"},
                "auth_type": {"type": "string", "title": "Access", "enum": ["public_link", "service_account"],
                              "default": "public_link",
                              "description": "Public link: shared with anyone who has the link. Service account: shared with its email."},
                "service_account_json": {"type": "string", "title": "Service account key (JSON)", "format": "password",
                                         "writeOnly": True, "description": "The whole .json key file of the service account."},
                "tabs": {"type": "array", "title": "Tabs (public link)",
                         "description": "Name and gid (the number after #gid= in the address) of each tab to load.",
                         "items": {"type": "object", "required": ["gid"],
                                   "properties": {"name": {"type": "string", "title": "Name"},
                                                  "gid": {"type": "integer", "title": "gid"}}}},
                "page_rows": {"type": "integer", "title": "Rows per request", "default": 5000, "minimum": 1},
                "api_base_url": {"type": "string", "format": "uri", "title": "Sheets API URL (advanced)", "default": DEFAULT_API},
                "export_base_url": {"type": "string", "format": "uri", "title": "Export URL (advanced)", "default": DEFAULT_EXPORT},
            },
        }  # fmt: skip

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        """Service account: list the tabs. Public link: download the first tab."""
        if _uses_api(config):
            with _SheetsApi(config, ctx) as api:
                api.tabs()
        else:
            with _export_client(config, ctx) as client:
                _csv_rows(client, config, _public_tabs(config)[0][1])

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        if not _uses_api(config):
            with _export_client(config, ctx) as client:
                return [
                    _stream(name, _first(_csv_rows(client, config, gid)), f"gid {gid}")
                    for name, gid in _public_tabs(config)
                ]
        with _SheetsApi(config, ctx) as api:
            return [
                _stream(name, _first(api.values(tab.title, 1, 1)), f"'{tab.title}' (sheetId {tab.sheet_id})")
                for name, tab in _named(api.tabs()).items()
            ]

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        if not _uses_api(config):
            gid = dict(_public_tabs(config)).get(stream.name)
            if gid is None:
                raise ConfigError(f"Google Sheets source has no tab '{stream.name}'", hint="run Discover again")
            with _export_client(config, ctx) as client:
                rows = _csv_rows(client, config, gid)
            yield from _batches(stream.name, rows[:1], _chunks(rows[1:], 2, ctx.batch_rows), {"gid": gid}, ctx)
            return
        with _SheetsApi(config, ctx) as api:
            tab = _resolve(stream.name, state, api.tabs(), ctx)
            header = api.values(tab.title, 1, 1)
            windows = _windows(api, tab, int(config.get("page_rows") or 5000))
            yield from _batches(stream.name, header, windows, {"sheet_id": tab.sheet_id, "title": tab.title}, ctx)

    def renamed_streams(self, config: dict[str, Any], ctx: ReadContext, known: dict[str, int]) -> dict[str, str]:
        """{old stream name: new stream name} for known sheetIds whose tab has been renamed."""
        if not _uses_api(config):
            return {}  # public tabs are named in the source, by gid
        with _SheetsApi(config, ctx) as api:
            by_id = {tab.sheet_id: name for name, tab in _named(api.tabs()).items()}
        return {old: by_id[sid] for old, sid in known.items() if sid in by_id and by_id[sid] != old}


# ---- config ---------------------------------------------------------------------------------


def _uses_api(config: dict[str, Any]) -> bool:
    return config.get("auth_type") == "service_account"


def _spreadsheet_id(config: dict[str, Any]) -> str:
    text = str(config.get("spreadsheet") or "").strip()
    match = re.search(r"/spreadsheets/d/([A-Za-z0-9_-]+)", text)
    if match:
        return match.group(1)
    if re.fullmatch(r"[A-Za-z0-9_-]+", text):
        return text
    raise ConfigError(
        f"{text!r} is not a Google Sheets link or id", hint="copy the address of the sheet from the browser"
    )


def _public_tabs(config: dict[str, Any]) -> list[tuple[str, int]]:
    """(stream name, gid) of each configured tab; default the gid in the pasted link, else 0."""
    tabs = config.get("tabs") or []
    if not tabs:
        match = re.search(r"[#?&]gid=(\d+)", str(config.get("spreadsheet") or ""))
        tabs = [{"name": "sheet", "gid": int(match.group(1)) if match else 0}]
    named: dict[str, int] = {}
    for tab in tabs:
        base = normalise_identifier(str(tab.get("name") or f"sheet_{tab['gid']}"), fallback="sheet")
        name, n = base, 1
        while name in named:
            n += 1
            name = f"{base}_{n}"
        named[name] = int(tab["gid"])
    return list(named.items())


def _named(tabs: list[_Tab]) -> dict[str, _Tab]:
    """Stream name (safe, unique, in tab order) → tab."""
    names = normalise_columns([t.title for t in tabs])
    return dict(zip(names, tabs, strict=True))


def _resolve(stream: str, state: dict[str, Any] | None, tabs: list[_Tab], ctx: ReadContext) -> _Tab:
    """The tab of `stream`: by the sheetId saved in its state first (renames), else by name."""
    named = _named(tabs)
    sheet_id = (state or {}).get("sheet_id")
    tab = next((t for t in tabs if sheet_id is not None and t.sheet_id == sheet_id), None)
    if tab is not None:
        if tab.title != (state or {}).get("title"):
            new = next(name for name, t in named.items() if t is tab)
            ctx.progress({"stream": stream, "event": "renamed", "sheet_id": tab.sheet_id,
                          "old_title": (state or {}).get("title"), "new_title": tab.title, "new_stream": new})  # fmt: skip
        return tab
    if stream in named:
        return named[stream]
    raise ConfigError(f"Google Sheets has no tab for stream '{stream}' any more", hint="run Discover again")


# ---- public link (CSV export) ---------------------------------------------------------------


def _export_client(config: dict[str, Any], ctx: ReadContext) -> ApiClient:
    return ApiClient("Google Sheets", str(config.get("export_base_url") or DEFAULT_EXPORT), ctx, auth_hint=PUBLIC_HINT)


def _csv_rows(client: ApiClient, config: dict[str, Any], gid: int) -> list[list[str]]:
    sid = _spreadsheet_id(config)
    response = client.request("GET", f"/spreadsheets/d/{sid}/export", params={"format": "csv", "gid": gid})
    if "text/html" in response.headers.get("content-type", ""):
        raise AuthError(
            f"Google Sheets did not share spreadsheet {sid} (it answered with a sign-in page)", hint=PUBLIC_HINT
        )
    try:
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as err:
        raise BadInputError(f"Google Sheets tab gid {gid} did not export as readable CSV: {err}") from err


def _chunks(rows: list[list[str]], first_row: int, size: int) -> Iterator[tuple[int, list[list[str]]]]:
    for offset in range(0, len(rows), max(1, size)):
        yield first_row + offset, rows[offset : offset + max(1, size)]


# ---- service account (Sheets API v4) --------------------------------------------------------


class _SheetsApi:
    """Sheets API v4 calls with a service-account token, refreshed once on a 401."""

    def __init__(self, config: dict[str, Any], ctx: ReadContext) -> None:
        self.account = _service_account(config)
        self.spreadsheet = _spreadsheet_id(config)
        self.share_hint = f"share the spreadsheet with {self.account['client_email']} (Viewer), or {KEY_HINT}"
        base = str(config.get("api_base_url") or DEFAULT_API)
        self.client = ApiClient("Google Sheets", base, ctx, auth_hint=self.share_hint)
        self.token: str | None = None

    def __enter__(self) -> _SheetsApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(self, path: str, params: dict[str, Any]) -> Any:
        for attempt in (1, 2):
            self.token = self.token or _token(self.client, self.account)
            try:
                response = self.client.request(
                    "GET", path, params=params, headers={"Authorization": f"Bearer {self.token}"}
                )
                break
            except AuthError as err:
                self.token = None  # expired or revoked: one fresh token, then give up
                if attempt == 2:
                    who = f"{self.account['client_email']} on spreadsheet {self.spreadsheet}"
                    raise AuthError(f"Google Sheets refused {who}: {err.message}", hint=self.share_hint) from err
        try:
            return response.json()
        except ValueError as err:
            raise TerminalError(f"Google Sheets answered {path} with something that is not JSON") from err

    def tabs(self) -> list[_Tab]:
        body = self.get(f"/v4/spreadsheets/{self.spreadsheet}", {"fields": "sheets.properties"})
        tabs = []
        for sheet in body.get("sheets") or []:
            props = sheet.get("properties") or {}
            if props.get("sheetType", "GRID") == "GRID":
                rows = int((props.get("gridProperties") or {}).get("rowCount") or 0)
                tabs.append(_Tab(int(props.get("sheetId", 0)), str(props.get("title", "")), rows))
        return tabs

    def values(self, title: str, first: int, last: int) -> list[list[str]]:
        rng = quote(f"'{title.replace(chr(39), chr(39) * 2)}'!{first}:{last}", safe="")
        params = {"majorDimension": "ROWS", "valueRenderOption": "FORMATTED_VALUE"}
        body = self.get(f"/v4/spreadsheets/{self.spreadsheet}/values/{rng}", params)
        return [[str(cell) for cell in row] for row in body.get("values") or []]


def _service_account(config: dict[str, Any]) -> dict[str, Any]:
    raw = config.get("service_account_json")
    try:
        info = raw if isinstance(raw, dict) else json.loads(str(raw or ""))
    except ValueError as err:
        raise ConfigError("The service-account key is not valid JSON", hint=KEY_HINT) from err
    missing = [k for k in ("client_email", "private_key") if not isinstance(info, dict) or not info.get(k)]
    if missing or info.get("type", "service_account") != "service_account":
        raise ConfigError(
            f"The JSON is not a service-account key (missing {', '.join(missing) or 'type'})", hint=KEY_HINT
        )
    return {**info, "token_uri": info.get("token_uri") or DEFAULT_TOKEN_URI}


def _token(client: ApiClient, account: dict[str, Any]) -> str:
    """OAuth2 JWT-bearer grant: sign a one-hour assertion with the account's key, trade it for a token."""
    now = int(time.time())
    claims = {
        "iss": account["client_email"],
        "scope": SCOPE,
        "aud": account["token_uri"],
        "iat": now,
        "exp": now + 3600,
    }
    try:
        assertion = jwt.encode(
            claims, account["private_key"], algorithm="RS256", headers={"kid": account.get("private_key_id")}
        )
    except (ValueError, TypeError, jwt.PyJWTError) as err:
        raise ConfigError("The private key in the service-account JSON cannot be read", hint=KEY_HINT) from err
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    try:
        body = client.request("POST", account["token_uri"], data=grant).json()
    except TerminalError as err:
        raise AuthError(f"Google refused the key of {account['client_email']}: {err.message}", hint=KEY_HINT) from err
    except ValueError as err:
        raise AuthError("Google's token endpoint did not answer JSON", hint="check the token_uri in the key") from err
    if not isinstance(body, dict) or not body.get("access_token"):
        raise AuthError(f"Google gave no access token for {account['client_email']}", hint=KEY_HINT)
    return str(body["access_token"])


def _windows(api: _SheetsApi, tab: _Tab, page_rows: int) -> Iterator[tuple[int, list[list[str]]]]:
    """Rows 2..rowCount, `page_rows` per request; empty rows come back as [] and are skipped later."""
    for first in range(2, tab.row_count + 1, max(1, page_rows)):
        yield first, api.values(tab.title, first, min(first + page_rows - 1, tab.row_count))


# ---- rows → streams and batches -------------------------------------------------------------


def _first(rows: list[list[str]]) -> list[str]:
    return rows[0] if rows else []


def _stream(name: str, header: list[str], where: str) -> Stream:
    names = _column_names(header, len(header))
    columns = [Column(ROW_COLUMN, "BIGINT")]
    columns += [Column(n, "VARCHAR", original_name=h) for n, h in zip(names, header, strict=True)]
    return Stream(name=name, columns=columns, description=f"Google Sheets tab {where}")


def _column_names(header: list[str], width: int) -> list[str]:
    """Safe unique names, never clashing with `_sheet_row`; extra cells beyond the header get column_<n>."""
    padded = [*header, *[""] * (width - len(header))]
    return normalise_columns([ROW_COLUMN, *padded])[1:]


def _batches(
    stream: str,
    header_rows: list[list[str]],
    windows: Iterator[tuple[int, list[list[str]]]],
    state: dict[str, Any],
    ctx: ReadContext,
) -> Iterator[Batch]:
    """One batch per window of rows; blank rows skipped, empty cells NULL, all values text."""
    header = [cell.strip() for cell in _first(header_rows)]
    loaded = 0
    for first_row, values in windows:
        rows = [(first_row + i, cells) for i, cells in enumerate(values) if any(str(c).strip() for c in cells)]
        if not rows:
            continue
        if not any(header):
            raise BadInputError(
                f"Google Sheets tab '{stream}' has data but no header in row 1",
                hint="put column names in the first row",
            )
        names = _column_names(header, max(len(header), *(len(cells) for _, cells in rows)))
        columns: dict[str, pa.Array] = {ROW_COLUMN: pa.array([n for n, _ in rows], pa.int64())}
        for index, name in enumerate(names):
            cells = [cells[index] if index < len(cells) and cells[index] != "" else None for _, cells in rows]
            columns[name] = pa.array(cells, pa.string())
        loaded += len(rows)
        ctx.progress({"stream": stream, "rows": loaded, "row": rows[-1][0]})
        yield Batch(stream, pa.table(columns), state=dict(state))
