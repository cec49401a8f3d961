"""A fake KoboToolbox KPI API v2 server (FastAPI), following the documented behaviour.

- `Authorization: Token <token>`; a wrong or missing token answers 401 `{"detail": "Invalid token."}`.
- `GET /api/v2/assets/?format=json` (paged), `GET /api/v2/assets/{uid}/?format=json` with `content.survey`.
- `GET /api/v2/assets/{uid}/data/?format=json`: `limit` (default 100, capped at 1000 — and at
  `page_cap`, so tests page with few records while the client still asks for 1000), `start`,
  `count`/`next`/`previous`, Mongo-style `query` (`$gt`, `$gte`, `$lt`, `$lte`, `$eq`, `$ne`, `$and`,
  `$or`; strings compare as strings, like Mongo) and `sort` (JSON object, 1/-1).
- Data as Kobo sends it: answers as text, unanswered questions absent, `group/question` keys, repeats as
  lists of objects keyed by full path, select_multiple space-separated, `_attachments` with download URLs,
  `_validation_status`, `_submission_time` (UTC, no offset; two submissions share each minute).
- Fault switches: `fail_next(status, times, retry_after)` (429/5xx), `unauthorized_after_pages`,
  `set_field`/`drop_field` on a record (missing field, malformed date). `requests` logs every data call.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

TOKEN = "kobo-test-token"
BASE_TIME = datetime(2024, 1, 5, 8, 0, 0)
NAMES = ["Amina", "Baraka", "Chidi", "Dalia", "Esi", "Faraji", "Gift", "Halima"]
DISTRICTS = ["north", "south", "east", "west"]
CROPS = ["maize", "beans", "cassava", "sorghum"]
ROLES = ["child", "student", "worker", "carer"]

HOUSEHOLD_SURVEY: list[dict[str, Any]] = [
    {"type": "start", "name": "start", "$xpath": "start"},
    {"type": "end", "name": "end", "$xpath": "end"},
    {"type": "today", "name": "today", "$xpath": "today"},
    {"type": "note", "name": "intro", "$xpath": "intro"},
    {"type": "text", "name": "respondent_name", "$xpath": "respondent_name"},
    {"type": "integer", "name": "age", "$xpath": "age"},
    {"type": "decimal", "name": "income", "$xpath": "income"},
    {"type": "select_one", "name": "has_water", "select_from_list_name": "yn", "$xpath": "has_water"},
    {"type": "select_multiple", "name": "crops", "select_from_list_name": "crops", "$xpath": "crops"},
    {"type": "begin_group", "name": "location", "$xpath": "location"},
    {"type": "select_one", "name": "district", "select_from_list_name": "districts", "$xpath": "location/district"},
    {"type": "geopoint", "name": "gps", "$xpath": "location/gps"},
    {"type": "end_group"},
    {"type": "image", "name": "photo", "$xpath": "photo"},
    {"type": "begin_group", "name": "hh", "$xpath": "hh"},
    {"type": "begin_repeat", "name": "members", "$xpath": "hh/members"},
    {"type": "text", "name": "member_name"},  # no $xpath: the client must rebuild it from the groups
    {"type": "integer", "name": "member_age"},
    {"type": "select_multiple", "name": "member_roles", "select_from_list_name": "roles"},
    {"type": "end_repeat"},
    {"type": "end_group"},
]


@dataclass
class FakeForm:
    """One Kobo asset and its submissions."""

    uid: str
    name: str
    date_created: str
    deployed: bool = True
    asset_type: str = "survey"
    survey: list[dict[str, Any]] = field(default_factory=lambda: list(HOUSEHOLD_SURVEY))
    records: list[dict[str, Any]] = field(default_factory=list)
    id_offset: int = 1000


class KoboFake:
    """State and behaviour of the fake server; `app()` builds the ASGI app."""

    def __init__(self, n_submissions: int = 120, *, page_cap: int = 1000, token: str = TOKEN) -> None:
        self.token = token
        self.page_cap = page_cap
        self.base_url = "http://testserver"  # replaced by the real address on the first request
        self.forms: dict[str, FakeForm] = {}
        self.requests: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.unauthorized_after_pages: int | None = None
        self.data_pages_served = 0
        self._selected: dict[tuple[str, str | None, str | None], list[dict[str, Any]]] = {}
        main = self.add_form(FakeForm("aHouseholdSurvey01", "Household Survey", "2024-01-01T09:00:00Z"))
        self.add_submissions(main.uid, n_submissions)
        dup = self.add_form(FakeForm("aHouseholdDup02", "Household survey!", "2024-02-01T09:00:00Z", id_offset=900_000))
        self.add_submissions(dup.uid, 3)
        self.add_form(FakeForm("aDraftForm03", "Draft form", "2024-03-01T09:00:00Z", deployed=False))
        self.add_form(FakeForm("aQuestionBlock04", "Question block", "2024-03-02T09:00:00Z", asset_type="block"))

    # -- configuration used by tests ---------------------------------------------------------------
    def add_form(self, form: FakeForm) -> FakeForm:
        self.forms[form.uid] = form
        return form

    def add_submissions(self, uid: str, n: int) -> None:
        """Append `n` deterministic submissions (later submission times than the existing ones)."""
        form = self.forms[uid]
        start = len(form.records)
        form.records.extend(make_submission(form, i) for i in range(start, start + n))
        self._selected.clear()

    def set_field(self, uid: str, index: int, key: str, value: Any) -> None:
        self.forms[uid].records[index][key] = value
        self._selected.clear()

    def drop_field(self, uid: str, index: int, key: str) -> None:
        self.forms[uid].records[index].pop(key, None)
        self._selected.clear()

    def fail_next(self, status: int, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` data requests answer `status` (with Retry-After when given)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.failures.extend([(status, headers)] * times)

    def data_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/data/")]

    # -- the app -----------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        """The ASGI app serving this fake's state."""
        app = FastAPI()

        @app.middleware("http")
        async def token_auth(request: Request, call_next: Any) -> Response:
            self.base_url = str(request.base_url).rstrip("/")
            self.requests.append(
                {"path": request.url.path, "params": dict(request.query_params), "at": time.monotonic()}
            )
            if request.headers.get("Authorization") != f"Token {self.token}":
                return JSONResponse({"detail": "Invalid token."}, status_code=401)
            response: Response = await call_next(request)
            return response

        @app.get("/api/v2/assets/")
        def list_assets(request: Request) -> JSONResponse:
            assets = [self._asset_summary(f) for f in self.forms.values()]
            return JSONResponse(_paginate(assets, request, default_limit=100, cap=1000))

        @app.get("/api/v2/assets/{uid}/")
        def asset_detail(uid: str) -> JSONResponse:
            form = self.forms.get(uid)
            if form is None:
                return JSONResponse({"detail": "Not found."}, status_code=404)
            return JSONResponse({**self._asset_summary(form), "content": {"survey": form.survey, "choices": []}})

        @app.get("/api/v2/assets/{uid}/data/")
        def data(uid: str, request: Request) -> Response:
            form = self.forms.get(uid)
            if form is None or not form.deployed:
                return JSONResponse({"detail": "Not found."}, status_code=404)
            if self.failures:
                status, headers = self.failures.pop(0)
                return JSONResponse({"detail": f"fake failure {status}"}, status_code=status, headers=headers)
            if self.unauthorized_after_pages is not None and self.data_pages_served >= self.unauthorized_after_pages:
                return JSONResponse({"detail": "Invalid token."}, status_code=401)
            self.data_pages_served += 1
            key = (uid, request.query_params.get("query"), request.query_params.get("sort"))
            if key not in self._selected:  # cached so a 100k-record benchmark does not re-sort per page
                self._selected[key] = _query(form.records, request)
            body = _paginate(self._selected[key], request, default_limit=100, cap=min(1000, self.page_cap))
            body["results"] = [_with_urls(r, self.base_url) for r in body["results"]]
            return JSONResponse(body)

        return app

    def _asset_summary(self, form: FakeForm) -> dict[str, Any]:
        return {
            "url": f"{self.base_url}/api/v2/assets/{form.uid}/",
            "uid": form.uid,
            "name": form.name,
            "asset_type": form.asset_type,
            "date_created": form.date_created,
            "has_deployment": form.deployed,
            "deployment__active": form.deployed,
            "deployment__submission_count": len(form.records) if form.deployed else 0,
            "data": f"{self.base_url}/api/v2/assets/{form.uid}/data/",
        }


def make_submission(form: FakeForm, i: int) -> dict[str, Any]:
    """The i-th submission of `form`, as the Kobo data endpoint returns it (answers as text)."""
    sub_id = form.id_offset + i
    submitted = BASE_TIME + timedelta(minutes=i // 2)
    sub_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{form.uid}/{i}"))
    record: dict[str, Any] = {
        "_id": sub_id,
        "formhub/uuid": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "start": (submitted - timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%S.000+03:00"),
        "end": (submitted - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000+03:00"),
        "today": submitted.strftime("%Y-%m-%d"),
        "respondent_name": f"{NAMES[i % len(NAMES)]} {i}",
        "age": str(18 + i % 60),
        "income": f"{(i * 37) % 5000}.5",
        "has_water": "yes" if i % 3 else "no",
        "location/district": DISTRICTS[i % len(DISTRICTS)],
        "location/gps": f"-1.{i % 97:02d} 36.{i % 89:02d} 1700 5",
        "__version__": "vQ8sXfE2mR",
        "meta/instanceID": f"uuid:{sub_uuid}",
        "_xform_id_string": form.uid,
        "_uuid": sub_uuid,
        "_attachments": [],
        "_status": "submitted_via_web",
        "_geolocation": [-1.0 - (i % 97) / 100, 36.0 + (i % 89) / 100],
        "_submission_time": submitted.strftime("%Y-%m-%dT%H:%M:%S"),
        "_tags": [],
        "_notes": [],
        "_validation_status": {} if i % 5 else _approved(submitted),
        "_submitted_by": None,
    }
    crops = [c for k, c in enumerate(CROPS) if (i >> k) & 1]
    if crops:
        record["crops"] = " ".join(crops)
    if i % 3:
        record["photo"] = f"photo_{i}.jpg"
        record["_attachments"] = [_attachment(form, sub_id, i, f"photo_{i}.jpg")]
    members = [
        {
            "hh/members/member_name": f"{NAMES[(i + k) % len(NAMES)]} junior {k}",
            "hh/members/member_age": str(3 + (i + k) % 15),
            "hh/members/member_roles": " ".join(ROLES[: 1 + (i + k) % len(ROLES)]),
        }
        for k in range(i % 4)
    ]
    if members:
        record["hh/members"] = members
    return record


def _approved(at: datetime) -> dict[str, Any]:
    return {
        "timestamp": int(at.timestamp()),
        "uid": "validation_status_approved",
        "by_whom": "supervisor",
        "color": "#00ff00",
        "label": "Approved",
    }


def _attachment(form: FakeForm, sub_id: int, i: int, name: str) -> dict[str, Any]:
    att_id = 50_000 + sub_id
    return {
        "download_url": f"{{base}}/api/v2/assets/{form.uid}/data/{sub_id}/attachments/{att_id}/",
        "mimetype": "image/jpeg",
        "filename": f"enumerator/attachments/0f1e2d3c/{uuid.uuid5(uuid.NAMESPACE_URL, str(i))}/{name}",
        "media_file_basename": name,
        "instance": sub_id,
        "id": att_id,
        "uid": f"att{att_id}",
        "question_xpath": "photo",
    }


def _with_urls(record: dict[str, Any], base: str) -> dict[str, Any]:
    if not record.get("_attachments"):
        return record
    atts = [{**a, "download_url": a["download_url"].replace("{base}", base)} for a in record["_attachments"]]
    return {**record, "_attachments": atts}


def _query(records: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    """Apply Kobo's `query` (Mongo-style) and `sort` parameters."""
    query = json.loads(request.query_params.get("query") or "{}")
    sort = json.loads(request.query_params.get("sort") or '{"_id": 1}')
    selected = [r for r in records if _matches(r, query)]
    for key, direction in reversed(list(sort.items())):  # stable sorts, last key first
        selected.sort(key=_sort_key(key), reverse=direction == -1)
    return selected


def _sort_key(key: str) -> Any:
    def value(record: dict[str, Any]) -> tuple[bool, Any]:
        return (record.get(key) is not None, record.get(key))

    return value


def _matches(record: dict[str, Any], query: dict[str, Any]) -> bool:
    for key, cond in query.items():
        if key == "$and":
            if not all(_matches(record, q) for q in cond):
                return False
        elif key == "$or":
            if not any(_matches(record, q) for q in cond):
                return False
        elif not _compare(record.get(key), cond):
            return False
    return True


def _compare(value: Any, cond: Any) -> bool:
    if not isinstance(cond, dict):
        return bool(value == cond)
    tests = {"$eq": lambda a, b: a == b, "$ne": lambda a, b: a != b, "$gt": lambda a, b: a > b,
             "$gte": lambda a, b: a >= b, "$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b}  # fmt: skip
    try:
        return all(tests[op](value, operand) for op, operand in cond.items())
    except TypeError:  # None against a string: Mongo does not match it
        return False


def _paginate(items: list[dict[str, Any]], request: Request, *, default_limit: int, cap: int) -> dict[str, Any]:
    """DRF LimitOffsetPagination, as KPI uses it."""
    limit = min(int(request.query_params.get("limit") or default_limit), cap)
    start = int(request.query_params.get("start") or 0)
    page = items[start : start + limit]
    url = request.url
    next_url = str(url.include_query_params(start=start + limit, limit=limit)) if start + limit < len(items) else None
    previous = str(url.include_query_params(start=max(0, start - limit), limit=limit)) if start > 0 else None
    return {"count": len(items), "next": next_url, "previous": previous, "results": page}
