"""A fake CommCare HQ following the v0.5 data APIs (list forms, list cases, application structure).

Behaviour copied from dimagi/commcare-hq docs/api: `Authorization: ApiKey <username>:<key>` (401 with an
empty body otherwise), `limit`/`offset` paging capped by the server (`max_limit`), `meta.next` given as
`<path>?<query>` (tastypie style) or null on the last page, `xmlns` / `type` filters, `indexed_on_start`
inclusive, `order_by=indexed_on`. Form JSON is the XML-to-JSON conversion, so a repeat group with one
entry arrives as an object and with several as a list. Cases are naive timestamps, forms carry a `Z`.

`FakeCommCare` holds the data and the switches a test flips (429 with Retry-After, 500, 401 after page k,
a missing field, a malformed `indexed_on`); `app()` builds the Starlette app to serve with `serve_app`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BASE_TIME = datetime(2024, 3, 1, 8, 0, 0)
REGISTRATION = "http://openrosa.org/formdesigner/HH-REG-0001"
FOLLOW_UP = "http://openrosa.org/formdesigner/HH-FUP-0002"
VILLAGES = ["Kisumu", "Bondo", "Siaya", "Ugunja"]


@dataclass
class FakeCommCare:
    """State and switches of one fake CommCare project space."""

    domain: str = "demo-project"
    username: str = "me@example.org"
    api_key: str = "key-0123456789"
    max_limit: int = 25
    forms: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    app_structure_allowed: bool = True
    fail_429: int = 0  # answer this many data requests with 429 + Retry-After first
    fail_500: int = 0
    retry_after: str = "1"
    unauthorized_after_pages: int | None = None  # serve this many data pages, then 401 for every request
    missing_field_every: int | None = None  # drop form.village / properties.village from every n-th record
    malformed_cursor_at: int | None = None  # record index (per filtered listing) whose indexed_on is junk
    log: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    pages_served: int = 0

    def __post_init__(self) -> None:
        if not self.forms and not self.cases:
            self.add_forms(REGISTRATION, 60)
            self.add_forms(FOLLOW_UP, 37)
            self.add_cases("household", 40)
            self.add_cases("member", 31)

    # ---- data -------------------------------------------------------------------------------
    def add_forms(self, xmlns: str, count: int) -> None:
        """Append `count` submissions; two consecutive ones share an `indexed_on` (ties happen for real)."""
        for _ in range(count):
            n = len(self.forms)
            when = BASE_TIME + timedelta(minutes=n // 2, milliseconds=(n // 2) % 7)
            self.forms.append(_form(self.domain, xmlns, n, when))

    def add_cases(self, case_type: str, count: int) -> None:
        for _ in range(count):
            n = len(self.cases)
            self.cases.append(_case(self.domain, case_type, n, BASE_TIME + timedelta(minutes=n // 2)))

    def data_requests(self) -> list[dict[str, str]]:
        """Query params of every form/case request that got a 200."""
        return [params for status, path, params in self.log if status == 200 and "/application/" not in path]

    # ---- app --------------------------------------------------------------------------------
    def app(self) -> Starlette:
        base = f"/a/{self.domain}/api/v0.5"
        return Starlette(
            routes=[
                Route(f"{base}/form/", self._list_forms),
                Route(f"{base}/case/", self._list_cases),
                Route(f"{base}/application/", self._applications),
            ]
        )

    def _gate(self, request: Request) -> Response | None:
        """Auth and injected failures; None means "serve the data"."""
        params = dict(request.query_params)
        expected = f"ApiKey {self.username}:{self.api_key}"
        if request.headers.get("authorization") != expected:
            return self._logged(401, request, params, Response(status_code=401))
        if self.unauthorized_after_pages is not None and self.pages_served >= self.unauthorized_after_pages:
            return self._logged(401, request, params, Response(status_code=401))
        if self.fail_500 > 0:
            self.fail_500 -= 1
            return self._logged(500, request, params, JSONResponse({"error": "server error"}, 500))
        if self.fail_429 > 0:
            self.fail_429 -= 1
            headers = {"Retry-After": self.retry_after}
            return self._logged(429, request, params, JSONResponse({"error": "rate limited"}, 429, headers))
        return None

    def _logged(self, status: int, request: Request, params: dict[str, str], response: Response) -> Response:
        self.log.append((status, request.url.path, params))
        return response

    async def _list_forms(self, request: Request) -> Response:
        xmlns = request.query_params.get("xmlns")
        rows = [f for f in self.forms if xmlns is None or f["form"]["@xmlns"] == xmlns]
        return self._page(request, rows, default_limit=20)

    async def _list_cases(self, request: Request) -> Response:
        case_type = request.query_params.get("type")
        rows = [c for c in self.cases if case_type is None or c["properties"]["case_type"] == case_type]
        return self._page(request, rows, default_limit=20)

    def _page(self, request: Request, rows: list[dict[str, Any]], default_limit: int) -> Response:
        blocked = self._gate(request)
        if blocked is not None:
            return blocked
        params = dict(request.query_params)
        start = params.get("indexed_on_start")
        if start:
            since = _parse(start)
            rows = [r for r in rows if _parse(r["indexed_on"]) >= since]
        order = params.get("order_by", "")
        if order.lstrip("-") == "indexed_on":
            rows = sorted(rows, key=lambda r: _parse(r["indexed_on"]), reverse=order.startswith("-"))
        rows = [self._damage(i, r) for i, r in enumerate(rows)]
        limit = min(int(params.get("limit", default_limit)) or self.max_limit, self.max_limit)
        offset = int(params.get("offset", 0))
        page = rows[offset : offset + limit]
        next_link = None
        if offset + limit < len(rows):
            next_link = f"{request.url.path}?{urlencode({**params, 'limit': limit, 'offset': offset + limit})}"
        meta = {"limit": limit, "offset": offset, "next": next_link, "previous": None, "total_count": len(rows)}
        self.pages_served += 1
        return self._logged(200, request, params, JSONResponse({"meta": meta, "objects": page}))

    def _damage(self, index: int, record: dict[str, Any]) -> dict[str, Any]:
        """Apply the missing-field / malformed-cursor switches to a copy of the record."""
        if self.missing_field_every and index % self.missing_field_every == 0:
            record = _without_village(record)
        if self.malformed_cursor_at is not None and index == self.malformed_cursor_at:
            record = {**record, "indexed_on": "last tuesday"}
        return record

    async def _applications(self, request: Request) -> Response:
        blocked = self._gate(request)
        if blocked is not None:
            return blocked
        if not self.app_structure_allowed:
            return self._logged(403, request, {}, Response(status_code=403))
        meta = {"limit": None, "offset": 0, "next": None, "previous": None, "total_count": 1}
        return self._logged(200, request, {}, JSONResponse({"meta": meta, "objects": [_application()]}))


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=None)


def _without_village(record: dict[str, Any]) -> dict[str, Any]:
    copy = dict(record)
    if "form" in copy:
        copy["form"] = {k: v for k, v in copy["form"].items() if k != "village"}
    if "properties" in copy:
        copy["properties"] = {k: v for k, v in copy["properties"].items() if k != "village"}
    return copy


def _form(domain: str, xmlns: str, n: int, when: datetime) -> dict[str, Any]:
    form_id = f"form-{n:05d}"
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    members = [{"member_name": f"Person {n}-{i}", "age": str(20 + (n + i) % 50)} for i in range(n % 4)]
    body: dict[str, Any] = {
        "#type": "data",
        "@name": "Household Registration" if xmlns == REGISTRATION else "Follow-up Visit",
        "@uiVersion": "1",
        "@version": "12",
        "@xmlns": xmlns,
        "household_name": f"Household {n}",
        "village": VILLAGES[n % len(VILLAGES)],
        "visit": {"visit_date": when.date().isoformat(), "consent": "yes" if n % 5 else "no"},
        "meta": {"instanceID": form_id, "userID": f"user-{n % 3}", "username": f"worker{n % 3}", "timeEnd": stamp},
    }
    if members:  # XML-to-JSON: one repeat entry is an object, several a list
        body["household"] = {"member": members[0] if len(members) == 1 else members}
    return {
        "id": form_id,
        "domain": domain,
        "app_id": "app-1",
        "build_id": "build-7",
        "archived": False,
        "form": body,
        "indexed_on": stamp,
        "received_on": stamp,
        "server_modified_on": stamp,
        "edited_on": None,
        "attachments": {
            "form.xml": {
                "content_type": "text/xml",
                "length": 900 + n,
                "url": f"/a/{domain}/api/form/attachment/{form_id}/form.xml",
            }
        },
        "metadata": {"username": f"worker{n % 3}", "instanceID": form_id},
        "resource_uri": "",
    }


def _case(domain: str, case_type: str, n: int, when: datetime) -> dict[str, Any]:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f")
    properties: dict[str, Any] = {
        "case_name": f"{case_type.title()} {n}",
        "case_type": case_type,
        "owner_id": f"user-{n % 3}",
        "external_id": f"EXT{n:04d}",
        "date_opened": stamp,
        "village": VILLAGES[n % len(VILLAGES)],
    }
    indices: dict[str, Any] = {}
    if case_type == "member":
        properties["age"] = str(18 + n % 60)
        indices = {"parent": {"case_type": "household", "case_id": f"case-{n % 40:05d}"}}
    return {
        "case_id": f"case-{n:05d}",
        "id": f"case-{n:05d}",
        "domain": domain,
        "closed": n % 9 == 0,
        "date_closed": stamp if n % 9 == 0 else None,
        "date_modified": stamp,
        "server_date_modified": stamp,
        "indexed_on": stamp,
        "user_id": f"user-{n % 3}",
        "properties": properties,
        "indices": indices,
        "xform_ids": [f"form-{n:05d}"],
    }


def _application() -> dict[str, Any]:
    def question(path: str, tag: str = "input", repeat: str = "") -> dict[str, str]:
        return {"label": path.rsplit("/", 1)[-1], "tag": tag, "value": path, "repeat": repeat}

    registration = [
        question("/data/household_name"),
        question("/data/village", "select1"),
        question("/data/household/member", "repeat"),
        question("/data/household/member/member_name", repeat="/data/household/member"),
        question("/data/household/member/age", repeat="/data/household/member"),
    ]
    module = {
        "name": {"en": "Households"},
        "case_type": "household",
        "case_properties": ["village"],
        "unique_id": "module-1",
        "forms": [
            {
                "xmlns": REGISTRATION,
                "name": {"en": "Household Registration"},
                "questions": registration,
                "unique_id": "f1",
            },
            {"xmlns": FOLLOW_UP, "name": {"en": "Follow-up Visit"}, "questions": registration, "unique_id": "f2"},
        ],
    }
    members = {
        "name": {"en": "Members"},
        "case_type": "member",
        "case_properties": ["age"],
        "unique_id": "module-2",
        "forms": [],
    }
    return {
        "id": "app-1",
        "name": "Household survey",
        "version": 7,
        "case_types": {"household": ["village"], "member": ["age"]},
        "modules": [module, members],
        "versions": [],
    }
