"""ODK Central connector.

API followed: the ODK Central **REST API v1** with its **OData 4.0** form service, as documented at
docs.getodk.org/central-api for Central 2024.x/2025.x:

- Auth: `POST /v1/sessions {email, password}` → `{token}`, then `Authorization: Bearer <token>` (the
  session is deleted again at the end); or a token the user pastes, sent as Bearer.
- `GET /v1/projects/{id}`, `GET /v1/projects/{id}/forms` (published forms are the streams),
  `GET /v1/projects/{id}/forms/{xmlFormId}/fields?odata=true` (the schema: path, type, binary,
  selectMultiple — the same information as the `.svc/$metadata` EDMX document, as JSON).
- Data: `GET .../forms/{xmlFormId}.svc/Submissions?$top=1000&$count=true&$expand=*&$wkt=true`. Central
  returns newest first and pages with `$skiptoken` in `@odata.nextLink`. Repeats come nested
  (`$expand=*`) and become child tables `<stream>__<repeat>`; groups become `group_question` columns;
  select_multiple answers become lists; attachments become `<question>_url` columns.

Incremental:
- cursor `__system/submissionDate` (default): `$filter=__system/submissionDate ge <state>` with
  `$orderby=__system/submissionDate asc`, paged with `$top`/`$skip` (Central refuses `$orderby` together
  with `$skiptoken`), so the state moves forward after every page.
- cursor `__system/updatedAt` (catches edits): `$filter=(__system/updatedAt ge X or
  __system/submissionDate ge X)` in Central's default order; the state is only given with the last page
  (records arrive newest first), so a crash re-reads the window — meant for `incremental_dedup`.
- Inclusive boundaries are deduplicated by `__id` with the ids kept in the state.
- Deleted submissions: Central leaves them out unless the `$filter` names `__system/deletedAt`, so full
  refreshes simply lack them. Incremental syncs then ask for `__system/deletedAt gt <state>` (or `ne null`
  the first time) and emit **tombstone rows** in the stream table: `_id`, the `__system` columns and
  `_dalgo_deleted = true` (every live row has `_dalgo_deleted = false`). Under dedup the tombstone replaces
  the row; filter on `_dalgo_deleted` downstream.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, Stream, SyncMode
from pipelines.connectors.http import ApiClient
from pipelines.connectors.kobo import CursorTracker, FormTable, PageBuffer, form_stream, unique_stream_names
from pipelines.errors import AuthError, ConfigError, PipelineError, TerminalError
from pipelines.naming import normalise_identifier
from pipelines.netpolicy import AddressRefused

SERVICE = "ODK Central"
PAGE_SIZE = 1000
DELETED = "_dalgo_deleted"
PASSWORD_HINT = "edit the source and check the email and password of the ODK Central web user"
TOKEN_HINT = "edit the source and paste a new token (session tokens expire after 24 hours)"
# OData __system properties → (snake-case column part, DuckDB type)
SYSTEM: dict[str, tuple[str, str]] = {
    "submissionDate": ("submission_date", "TIMESTAMP"),
    "updatedAt": ("updated_at", "TIMESTAMP"),
    "deletedAt": ("deleted_at", "TIMESTAMP"),
    "submitterId": ("submitter_id", "VARCHAR"),
    "submitterName": ("submitter_name", "VARCHAR"),
    "attachmentsPresent": ("attachments_present", "BIGINT"),
    "attachmentsExpected": ("attachments_expected", "BIGINT"),
    "status": ("status", "VARCHAR"),
    "reviewState": ("review_state", "VARCHAR"),
    "deviceId": ("device_id", "VARCHAR"),
    "edits": ("edits", "BIGINT"),
    "formVersion": ("form_version", "VARCHAR"),
}
FIELD_TYPES = {"int": "BIGINT", "decimal": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "dateTime": "TIMESTAMP"}
CURSORS = {"submissionDate": "__system/submission_date", "updatedAt": "__system/updated_at"}


class OdkCentralConnector:
    """Reads submissions of the published forms of one ODK Central project."""

    type: ClassVar[str] = "odk_central"
    name: ClassVar[str] = "ODK Central"
    api_version: ClassVar[str] = "Central REST API v1 + OData 4.0 (Central 2024.x/2025.x)"

    def spec(self) -> dict[str, Any]:
        """JSON schema of the source form."""
        secret = {"type": "string", "format": "password", "writeOnly": True}
        return {
            "type": "object",
            "title": "ODK Central",
            "required": ["server_url", "project_id", "auth_method"],
            "properties": {
                "server_url": {
                    "type": "string",
                    "title": "Server URL",
                    "format": "uri",
                    "description": "The address of your Central server, e.g. https://central.example.org",
                },
                "project_id": {
                    "type": "integer",
                    "title": "Project ID",
                    "minimum": 1,
                    "description": "The number in the project's address: .../#/projects/<id>",
                },
                "auth_method": {
                    "type": "string",
                    "title": "Sign in with",
                    "enum": ["password", "token"],
                    "default": "password",
                    "description": "A web user's email and password (recommended), or a token",
                },
                "email": {
                    "type": "string",
                    "title": "Email",
                    "format": "email",
                    "description": "A Central web user with the Project Viewer (or Manager) role on the project",
                },
                "password": {
                    **secret,
                    "title": "Password",
                    "description": "That user's password; used only to open a session",
                },
                "token": {
                    **secret,
                    "title": "Token",
                    "description": "A Central session or API token, sent as a Bearer token",
                },
            },
            "allOf": [
                {
                    "if": {"properties": {"auth_method": {"const": "password"}}},
                    "then": {"required": ["email", "password"]},
                },
                {"if": {"properties": {"auth_method": {"const": "token"}}}, "then": {"required": ["token"]}},
            ],
        }

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        """Sign in and open the project: proves the URL, the credentials and the project id."""
        with _Session(config, ctx) as odk:
            odk.project()

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        """One stream per published form, columns typed from the form's fields."""
        with _Session(config, ctx) as odk:
            streams = []
            for stream_name, form in odk.forms().items():
                tables = parse_fields(stream_name, odk.get(f"{odk.form_path(form)}/fields", {"odata": "true"}))
                streams.append(
                    form_stream(
                        tables,
                        primary_key="__id",
                        cursors=list(CURSORS.values()),
                        description=f"ODK form '{form.get('name') or form['xmlFormId']}' ({form['xmlFormId']})"
                        + (f", {form['submissions']} submissions" if "submissions" in form else ""),
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
        """Submissions page by page (plus repeat tables); incremental reads also report deletions."""
        cursor = _cursor_property(stream)
        incremental = stream.sync_mode != SyncMode.full_refresh
        with _Session(config, ctx) as odk:
            form = odk.forms().get(stream.name)
            if form is None:
                raise TerminalError(
                    f"ODK Central has no published form for stream '{stream.name}' any more",
                    hint="run Discover again and pick the streams to sync",
                )
            tables = parse_fields(stream.name, odk.get(f"{odk.form_path(form)}/fields", {"odata": "true"}))
            reader = _FormReader(odk, form, tables, ctx)
            tracker = CursorTracker(
                SERVICE,
                stream.name,
                f"__system/{cursor}",
                "__id",
                state if incremental else None,
                value_of=_cursor_value(cursor),
            )
            yield from reader.live(tracker, incremental=incremental, cursor=cursor)
            if incremental:
                yield from reader.deleted(tracker)


def _cursor_property(stream: ConfiguredStream) -> str:
    """The __system property behind the configured cursor (column or OData name accepted)."""
    aliases: dict[str | None, str] = {None: "submissionDate"}
    for prop, raw in CURSORS.items():
        aliases.update({raw: prop, f"__system/{prop}": prop, normalise_identifier(raw.replace("/", "_")): prop})
    if stream.cursor_field not in aliases:
        raise ConfigError(
            f"ODK Central form '{stream.name}' cannot sync incrementally on '{stream.cursor_field}'",
            hint="pick the submission date or the update date as the cursor",
        )
    return aliases[stream.cursor_field]


def _cursor_value(prop: str) -> Any:
    def value(record: dict[str, Any]) -> Any:
        system = record.get("__system") or {}
        return system.get(prop) or (system.get("submissionDate") if prop == "updatedAt" else None)

    return value


class _FormReader:
    """The OData reads of one form."""

    def __init__(self, odk: _Session, form: dict[str, Any], tables: dict[str, FormTable], ctx: ReadContext) -> None:
        self.odk, self.tables, self.ctx = odk, tables, ctx
        self.url = f"{odk.form_path(form)}.svc/Submissions"
        self.attachment_base = f"{odk.server}{odk.form_path(form)}/submissions"
        self.name = tables[""].name

    def live(self, tracker: CursorTracker, *, incremental: bool, cursor: str) -> Iterator[Batch]:
        params: dict[str, Any] = {"$top": PAGE_SIZE, "$count": "true", "$expand": "*", "$wkt": "true"}
        if incremental and cursor == "submissionDate":
            params["$orderby"] = "__system/submissionDate asc"
            if tracker.cursor:
                params["$filter"] = f"__system/submissionDate ge {tracker.cursor}"
            yield from self._skip_pages(params, tracker)
            return
        if incremental and tracker.cursor:
            params["$filter"] = (
                f"(__system/updatedAt ge {tracker.cursor} or __system/submissionDate ge {tracker.cursor})"
            )
        yield from self._token_pages(params, tracker, empty_first=not incremental)

    def deleted(self, tracker: CursorTracker) -> Iterator[Batch]:
        """Tombstones for submissions deleted since the last sync."""
        since = tracker.extra.get("deleted_at")
        condition = f"__system/deletedAt gt {since}" if since else "__system/deletedAt ne null"
        params: dict[str, Any] | None = {"$top": PAGE_SIZE, "$filter": condition}
        url: str | None = self.url
        buffer, newest = PageBuffer(self.tables, self.ctx, key_field="__id"), since
        while url is not None:
            page = self.odk.get(url, params)
            tombstones = []
            for record in _values(page, url):
                system = record.get("__system") or {}
                newest = max(newest or "", str(system.get("deletedAt") or "")) or newest
                tombstones.append({"__id": record.get("__id"), "__system": _snake_system(system), DELETED: True})
            buffer.add(tombstones)
            url, params = self.odk.rebase(page.get("@odata.nextLink")), None
            if url is None and newest != since:
                tracker.extra["deleted_at"] = newest
            if buffer.full or url is None:  # the deletion cursor is only safe once every page is in
                yield from buffer.flush(tracker.state() if url is None else None)

    def _skip_pages(self, params: dict[str, Any], tracker: CursorTracker) -> Iterator[Batch]:
        """Ordered pages by `$skip` (Central gives no nextLink with `$orderby`); the state moves with them."""
        buffer, skip, loaded = PageBuffer(self.tables, self.ctx, key_field="__id"), 0, 0
        done = False
        while not done:
            page = self.odk.get(self.url, {**params, "$skip": skip} if skip else params)
            records = _values(page, self.url)
            skip += len(records)
            count = page.get("@odata.count")
            done = not records or (isinstance(count, int) and skip >= count)
            fresh = [self._prepare(r) for r in records if tracker.accept(r)]
            loaded += len(fresh)
            buffer.add(fresh)
            if buffer.full or done:
                yield from buffer.flush(tracker.state())
            self.ctx.progress({"stream": self.name, "rows": loaded, "total": count})

    def _token_pages(self, params: dict[str, Any], tracker: CursorTracker, *, empty_first: bool) -> Iterator[Batch]:
        """Server-driven pages (`$skiptoken`), newest first: the state rides on the last batch only."""
        url: str | None = self.url
        query: dict[str, Any] | None = params
        buffer, loaded = PageBuffer(self.tables, self.ctx, key_field="__id"), 0
        while url is not None:
            page = self.odk.get(url, query)
            records = _values(page, url)
            url, query = self.odk.rebase(page.get("@odata.nextLink")), None
            fresh = [self._prepare(r) for r in records if tracker.accept(r)]
            loaded += len(fresh)
            buffer.add(fresh)
            if url is None:  # closes the read with the state, as an empty batch if all its rows were known
                yield from buffer.flush(tracker.state(), always=loaded > 0 or (empty_first and not buffer.emitted))
            elif buffer.full:
                yield from buffer.flush(None)
            self.ctx.progress({"stream": self.name, "rows": loaded, "total": page.get("@odata.count")})

    def _prepare(self, record: dict[str, Any]) -> dict[str, Any]:
        """OData record → records_to_tables shape: snake __system, URL columns, no OData annotations."""
        rec = _clean(record)
        rec["__system"] = _snake_system(record.get("__system") or {})
        rec[DELETED] = False
        _fill_urls(
            rec, "", self.tables, f"{self.attachment_base}/{quote(str(record.get('__id')), safe='')}/attachments/"
        )
        return rec


def _values(page: Any, url: str) -> list[dict[str, Any]]:
    values = page.get("value") if isinstance(page, dict) else None
    if not isinstance(values, list):
        raise TerminalError(f"ODK Central answered {url} without an OData value list", hint="check the server URL")
    return values


def _clean(value: dict[str, Any]) -> dict[str, Any]:
    """Drop OData annotations and the `__Submissions-id` join keys (Dalgo links children itself)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if "@odata" in key or (key.startswith("__") and key.endswith("-id")) or item == []:
            continue  # an empty list is a repeat with no entries: nothing for its child table
        if isinstance(item, dict) and key != "__system":
            item = _clean(item)
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            item = [_clean(x) for x in item]
        out[key] = item
    return out


def _snake_system(system: dict[str, Any]) -> dict[str, Any]:
    return {SYSTEM[k][0] if k in SYSTEM else k: v for k, v in system.items()}


def _fill_urls(rec: dict[str, Any], path: str, tables: dict[str, FormTable], base: str) -> None:
    """`<question>_url` for every attachment question, at any depth of groups and repeats."""
    table = tables.get(path)
    for raw in table.binary if table else ():
        node: Any = rec
        for part in raw.split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            parent = rec
            for part in raw.split("/")[:-1]:
                parent = parent.setdefault(part, {})
            parent[raw.split("/")[-1] + "_url"] = base + quote(node, safe="")
    _descend(rec, path, tables, base)


def _descend(node: dict[str, Any], path: str, tables: dict[str, FormTable], base: str) -> None:
    """Find the repeats inside `node`, through groups of any depth."""
    for key, item in node.items():
        if isinstance(item, dict) and key != "__system":
            _descend(item, f"{path}/{key}", tables, base)
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            for child in item:
                _fill_urls(child, f"{path}/{key}", tables, base)


def parse_fields(stream_name: str, fields: Any) -> dict[str, FormTable]:
    """Central's form fields (`/fields?odata=true`, depth first) → tables keyed by repeat path."""
    root_types = {"__id": "VARCHAR", **{f"__system/{snake}": t for snake, t in SYSTEM.values()}}
    tables = {"": FormTable(stream_name, root_types)}
    for item in fields if isinstance(fields, list) else []:
        path, kind = str(item.get("path") or ""), str(item.get("type") or "string")
        repeat = max((p for p in tables if p and path.startswith(p + "/")), key=len, default="")
        relative = path[len(repeat) + 1 :] if repeat else path.lstrip("/")
        if kind == "structure" or not relative:
            continue
        if kind == "repeat":
            parent = tables[repeat]
            child = FormTable(
                f"{parent.name}__{normalise_identifier(str(item.get('name') or relative))}",
                {"__id": "VARCHAR"},
                is_child=True,
            )
            tables[path] = child
            parent.children.append(child.name)
            continue
        duck_type = "VARCHAR[]" if item.get("selectMultiple") else FIELD_TYPES.get(kind, "VARCHAR")
        tables[repeat].add(relative, duck_type, binary=bool(item.get("binary")) or kind == "binary")
    tables[""].types[DELETED] = "BOOLEAN"
    for table in tables.values():
        table.finish()
    return tables


class _Session:
    """An authenticated ApiClient for one project; closes the session it opened."""

    def __init__(self, config: dict[str, Any], ctx: ReadContext) -> None:
        self.server = str(config.get("server_url") or "").strip().rstrip("/")
        if not self.server:
            raise ConfigError(
                "The ODK Central source has no server URL", hint="edit the source and enter the Central address"
            )
        try:
            self.project_id = int(config.get("project_id") or 0)
        except (TypeError, ValueError) as err:
            raise ConfigError(
                f"ODK Central project id '{config.get('project_id')}' is not a number",
                hint="use the number in the project's address",
            ) from err
        self.method = str(config.get("auth_method") or ("token" if config.get("token") else "password"))
        self.hint = TOKEN_HINT if self.method == "token" else PASSWORD_HINT
        self.opened_session = False
        token = self._token(config, ctx)
        self.api = ApiClient(
            SERVICE, self.server, ctx, headers={"Authorization": f"Bearer {token}"}, auth_hint=self.hint
        )
        self.token = token

    def _token(self, config: dict[str, Any], ctx: ReadContext) -> str:
        if self.method == "token":
            token = str(config.get("token") or "").strip()
            if not token:
                raise ConfigError("The ODK Central source has no token", hint=TOKEN_HINT)
            return token
        email, password = str(config.get("email") or "").strip(), str(config.get("password") or "")
        if not email or not password:
            raise ConfigError("The ODK Central source needs an email and a password", hint=PASSWORD_HINT)
        with ApiClient(SERVICE, self.server, ctx, auth_hint=PASSWORD_HINT) as login:
            try:
                body = login.request("POST", "/v1/sessions", json={"email": email, "password": password}).json()
            except AuthError as err:
                raise AuthError("ODK Central rejected the email or password", hint=PASSWORD_HINT) from err
            except ValueError as err:
                raise TerminalError(
                    "ODK Central answered the sign-in with something that is not JSON", hint="check the server URL"
                ) from err
        if not isinstance(body, dict) or not body.get("token"):
            raise TerminalError(
                "ODK Central did not return a session token", hint="check the server URL points at ODK Central"
            )
        self.opened_session = True
        return str(body["token"])

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self.api.get_json(url, params)
        except AuthError as err:
            what = "token" if self.method == "token" else "email or password"
            raise AuthError(f"ODK Central rejected the {what}", hint=self.hint) from err

    def project(self) -> dict[str, Any]:
        try:
            project: dict[str, Any] = self.get(f"/v1/projects/{self.project_id}")
        except (AuthError, AddressRefused):
            raise
        except TerminalError as err:
            raise ConfigError(
                f"ODK Central has no project {self.project_id} this user can see",
                hint="check the project id and the user's role on the project",
            ) from err
        return project

    def forms(self) -> dict[str, dict[str, Any]]:
        """Stream name → form, for published forms (stable names, see unique_stream_names)."""
        self.project()
        forms = [f for f in self.get(f"/v1/projects/{self.project_id}/forms") or [] if f.get("publishedAt")]
        names = unique_stream_names(
            [(f.get("name") or f["xmlFormId"], f["xmlFormId"], str(f.get("createdAt") or "")) for f in forms]
        )
        return {names[f["xmlFormId"]]: f for f in forms}

    def form_path(self, form: dict[str, Any]) -> str:
        return f"/v1/projects/{self.project_id}/forms/{quote(str(form['xmlFormId']), safe='')}"

    def rebase(self, link: Any) -> str | None:
        """An `@odata.nextLink` moved onto the configured server (proxies may rewrite the host)."""
        if not link:
            return None
        parts, base = urlsplit(str(link)), urlsplit(self.server)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.opened_session:  # log out: a session token should not outlive the sync
                with contextlib.suppress(PipelineError):
                    self.api.request("DELETE", f"/v1/sessions/{quote(self.token, safe='')}")
        finally:
            self.api.close()
