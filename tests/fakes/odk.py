"""A fake ODK Central server (REST API v1 + OData), following the documented behaviour.

- `POST /v1/sessions {email, password}` → `{token, createdAt, expiresAt}`; `DELETE /v1/sessions/{token}`;
  `Authorization: Bearer <token>`; anything else answers 401 `{"code": 401.2, ...}`.
- `GET /v1/projects/{id}`, `/v1/projects/{id}/forms`, `/forms/{xmlFormId}/fields?odata=true`,
  `.svc` (service document), `.svc/$metadata` (EDMX), `.svc/Submissions`.
- Submissions: newest first (`submissionDate desc`, then insertion order); `$top`, `$skip`, `$count`,
  `$skiptoken` = `"01" + base64(JSON {"instanceId": ...})` in `@odata.nextLink` (keyset: works even
  if that submission was deleted meanwhile), `$orderby` on `__system` fields (no nextLink then; with
  `$skiptoken` it is a 501, as in Central), `$filter` (`eq ne gt ge lt le and or not`, parentheses,
  `null`, ISO dates) on `__system/submissionDate|updatedAt|deletedAt|submitterId|reviewState`, deleted
  submissions hidden unless the filter names `__system/deletedAt`, `$expand=*` (repeats nested, else
  navigation links), `$wkt=true` (geopoints as WKT, else GeoJSON). `page_cap` makes pages smaller than
  `$top` (server-driven paging), so tests page with few records.
- Fault switches: `fail_next(status, times, retry_after)`, `unauthorized_after_pages`, `set_field` /
  `drop_field`, `edit`, `delete`. `requests` logs every call.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

EMAIL, PASSWORD, API_TOKEN = "data@example.org", "correct horse battery", "odk-test-token"
BASE_TIME = datetime(2024, 1, 5, 8, 0, 0)
NAMES = ["Amina", "Baraka", "Chidi", "Dalia", "Esi", "Faraji", "Gift", "Halima"]
CROPS = ["maize", "beans", "cassava", "sorghum"]
SYSTEM_FIELDS = {f"__system/{k}": k for k in ("submissionDate", "updatedAt", "deletedAt", "submitterId", "reviewState")}


def _field(path: str, kind: str = "string", *, binary: bool = False, multiple: bool = False) -> dict[str, Any]:
    return {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "type": kind,
        "binary": binary or None,
        "selectMultiple": multiple or None,
    }


HOUSEHOLD_FIELDS = [
    _field("/meta", "structure"),
    _field("/meta/instanceID"),
    _field("/respondent_name"),
    _field("/age", "int"),
    _field("/income", "decimal"),
    _field("/crops", multiple=True),
    _field("/visit_date", "date"),
    _field("/started", "dateTime"),
    _field("/location", "structure"),
    _field("/location/district"),
    _field("/location/gps", "geopoint"),
    _field("/location/photo", "binary", binary=True),
    _field("/hh", "structure"),
    _field("/hh/members", "repeat"),
    _field("/hh/members/member_name"),
    _field("/hh/members/member_age", "int"),
    _field("/hh/members/member_roles", multiple=True),
]


@dataclass
class FakeOdkForm:
    """One form of the project and its submissions (deleted ones included, flagged by deletedAt)."""

    xml_form_id: str
    name: str | None
    created_at: str
    published: bool = True
    fields: list[dict[str, Any]] = field(default_factory=lambda: list(HOUSEHOLD_FIELDS))
    submissions: list[dict[str, Any]] = field(default_factory=list)


class OdkFake:
    """State and behaviour of the fake Central; `app()` builds the ASGI app."""

    def __init__(self, n_submissions: int = 120, *, page_cap: int = 1000, project_id: int = 7) -> None:
        self.project_id = project_id
        self.page_cap = page_cap
        self.tokens = {API_TOKEN}
        self.closed_sessions: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.unauthorized_after_pages: int | None = None
        self.pages_served = 0
        self.forms: dict[str, FakeOdkForm] = {}
        for form in (
            FakeOdkForm("household", "Household Survey", "2024-01-01T09:00:00.000Z"),
            FakeOdkForm("household_v2", "Household survey!", "2024-02-01T09:00:00.000Z"),
            FakeOdkForm("draft_form", "Draft form", "2024-03-01T09:00:00.000Z", published=False),
        ):
            self.forms[form.xml_form_id] = form
        self.add_submissions("household", n_submissions)
        self.add_submissions("household_v2", 2)

    # -- configuration used by tests ---------------------------------------------------------------
    def add_submissions(self, form_id: str, n: int) -> None:
        form = self.forms[form_id]
        start = len(form.submissions)
        form.submissions.extend(make_submission(form_id, i) for i in range(start, start + n))

    def edit(self, form_id: str, index: int, at: str, **changes: Any) -> None:
        """An edit in Central: new data, `updatedAt` set, `edits` + 1."""
        sub = self.forms[form_id].submissions[index]
        sub.update(changes)
        sub["__system"] = {
            **sub["__system"],
            "updatedAt": at,
            "edits": sub["__system"]["edits"] + 1,
            "reviewState": "edited",
        }

    def delete(self, form_id: str, index: int, at: str) -> str:
        sub = self.forms[form_id].submissions[index]
        sub["__system"] = {**sub["__system"], "deletedAt": at}
        return str(sub["__id"])

    def set_field(self, form_id: str, index: int, key: str, value: Any) -> None:
        self.forms[form_id].submissions[index][key] = value

    def set_system(self, form_id: str, index: int, key: str, value: Any) -> None:
        sub = self.forms[form_id].submissions[index]
        sub["__system"] = {**sub["__system"], key: value}

    def drop_field(self, form_id: str, index: int, key: str) -> None:
        self.forms[form_id].submissions[index].pop(key, None)

    def fail_next(self, status: int, times: int = 1, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.failures.extend([(status, headers)] * times)

    def odata_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/Submissions")]

    # -- the app -----------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        """The ASGI app serving this fake's state."""
        app = FastAPI()
        prefix = "/v1/projects/{project_id}"

        @app.middleware("http")
        async def bearer_auth(request: Request, call_next: Any) -> Response:
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "params": dict(request.query_params),
                    "at": time.monotonic(),
                }
            )
            header = request.headers.get("Authorization", "")
            if request.url.path != "/v1/sessions" and header.removeprefix("Bearer ") not in self.tokens:
                return _problem(401, 401.2, "Could not authenticate with the provided credentials.")
            response: Response = await call_next(request)
            return response

        @app.post("/v1/sessions")
        async def login(request: Request) -> JSONResponse:
            body = await request.json()
            if body.get("email") != EMAIL or body.get("password") != PASSWORD:
                return _problem(401, 401.2, "Could not authenticate with the provided credentials.")
            token = f"session-{uuid.uuid4().hex}"
            self.tokens.add(token)
            return JSONResponse(
                {"token": token, "createdAt": "2024-06-01T00:00:00.000Z", "expiresAt": "2024-06-02T00:00:00.000Z"}
            )

        @app.delete("/v1/sessions/{token}")
        def logout(token: str) -> JSONResponse:
            self.tokens.discard(token)
            self.closed_sessions.append(token)
            return JSONResponse({"success": True})

        @app.get(prefix)
        def project(project_id: int) -> JSONResponse:
            if project_id != self.project_id:
                return _problem(404, 404.1, "Could not find the resource you were looking for.")
            return JSONResponse({"id": project_id, "name": "Field office", "archived": None})

        @app.get(prefix + "/forms")
        def forms(project_id: int) -> JSONResponse:
            if project_id != self.project_id:
                return _problem(404, 404.1, "Could not find the resource you were looking for.")
            return JSONResponse([_form_summary(project_id, f) for f in self.forms.values()])

        @app.get(prefix + "/forms/{form_id}/fields")
        def fields(project_id: int, form_id: str) -> JSONResponse:
            form = self.forms.get(form_id)
            return (
                JSONResponse(form.fields)
                if form
                else _problem(404, 404.1, "Could not find the resource you were looking for.")
            )

        @app.get(prefix + "/forms/{form_id}.svc")
        def service_document(project_id: int, form_id: str, request: Request) -> JSONResponse:
            form = self.forms[form_id]
            repeats = [f["path"][1:].replace("/", ".") for f in form.fields if f["type"] == "repeat"]
            sets = ["Submissions"] + [f"Submissions.{r}" for r in repeats]
            return JSONResponse(
                {
                    "@odata.context": f"{request.url}/$metadata",
                    "value": [{"name": s, "kind": "EntitySet", "url": s} for s in sets],
                }
            )

        @app.get(prefix + "/forms/{form_id}.svc/$metadata")
        def metadata(project_id: int, form_id: str) -> Response:
            return Response(_edmx(self.forms[form_id]), media_type="application/xml")

        @app.get(prefix + "/forms/{form_id}.svc/Submissions")
        def submissions(project_id: int, form_id: str, request: Request) -> Response:
            form = self.forms.get(form_id)
            if form is None or project_id != self.project_id:
                return _problem(404, 404.1, "Could not find the resource you were looking for.")
            if self.failures:
                status, headers = self.failures.pop(0)
                return JSONResponse(
                    {"code": float(status), "message": "fake failure"}, status_code=status, headers=headers
                )
            if self.unauthorized_after_pages is not None and self.pages_served >= self.unauthorized_after_pages:
                return _problem(401, 401.2, "Could not authenticate with the provided credentials.")
            self.pages_served += 1
            return self._odata(form, request)

        return app

    def _odata(self, form: FakeOdkForm, request: Request) -> Response:
        q = request.query_params
        if q.get("$orderby") and q.get("$skiptoken"):
            return _problem(
                501,
                501.1,
                "The requested feature using $orderby and $skiptoken together is not supported by this server.",
            )
        try:
            predicate = parse_filter(q.get("$filter") or "")
            rows = [s for s in form.submissions if predicate(s)]
            rows = _ordered(rows, q.get("$orderby"))
            if "__system/deletedAt" not in (q.get("$filter") or ""):
                rows = [s for s in rows if s["__system"]["deletedAt"] is None]
            total = len(rows)
            if q.get("$skiptoken"):
                rows = _after_token(form.submissions, rows, q["$skiptoken"])
            elif q.get("$skip"):
                rows = rows[int(q["$skip"]) :]
        except ValueError as err:
            return _problem(501, 501.5, f"The given OData query is not supported: {err}")
        limit = min(int(q["$top"]) if q.get("$top") else len(rows), self.page_cap)
        page, remaining = rows[:limit], len(rows) - limit
        body: dict[str, Any] = {
            "@odata.context": f"{request.base_url}v1/projects/{self.project_id}/forms/{form.xml_form_id}.svc/$metadata#Submissions"
        }
        body["value"] = [_render(s, expand=q.get("$expand") == "*", wkt=q.get("$wkt") == "true") for s in page]
        if remaining > 0 and page and not q.get("$orderby"):
            token = "01" + base64.b64encode(json.dumps({"instanceId": page[-1]["__id"]}).encode()).decode()
            params = {k: v for k, v in q.items() if k not in ("$skip", "$skiptoken")} | {"$skiptoken": token}
            body["@odata.nextLink"] = str(request.url.replace_query_params(**params))
        if q.get("$count") == "true":
            body["@odata.count"] = total
        return JSONResponse(body)


def make_submission(form_id: str, i: int) -> dict[str, Any]:
    """The i-th submission as Central stores it (rendered per request by `_render`)."""
    submitted = BASE_TIME + timedelta(minutes=i // 2)
    instance = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{form_id}/{i}')}"
    members = [
        {
            "__id": hashlib.sha1(f"{instance}/{k}".encode()).hexdigest(),
            "member_name": f"{NAMES[(i + k) % len(NAMES)]} junior {k}",
            "member_age": 3 + (i + k) % 15,
            "member_roles": " ".join(["child", "student", "worker"][: 1 + (i + k) % 3]),
        }
        for k in range(i % 4)
    ]
    return {
        "_seq": i,
        "__id": instance,
        "__system": {
            "submissionDate": submitted.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "updatedAt": None,
            "deletedAt": None,
            "submitterId": "5",
            "submitterName": "enumerator one",
            "attachmentsPresent": 1 if i % 3 else 0,
            "attachmentsExpected": 1 if i % 3 else 0,
            "status": None,
            "reviewState": "approved" if i % 5 == 0 else None,
            "deviceId": f"collect:{i % 7}",
            "edits": 0,
            "formVersion": "2024010501",
        },
        "meta": {"instanceID": instance},
        "respondent_name": f"{NAMES[i % len(NAMES)]} {i}",
        "age": 18 + i % 60,
        "income": (i * 37) % 5000 + 0.5,
        "crops": " ".join(c for k, c in enumerate(CROPS) if (i >> k) & 1) or None,
        "visit_date": submitted.strftime("%Y-%m-%d"),
        "started": (submitted - timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%S.000+03:00"),
        "location": {
            "district": ["north", "south", "east", "west"][i % 4],
            "gps": (36.0 + (i % 89) / 100, -1.0 - (i % 97) / 100, 1700.0),
            "photo": f"photo {i}.jpg" if i % 3 else None,
        },
        "hh": {"members": members},
    }


def _render(sub: dict[str, Any], *, expand: bool, wkt: bool) -> dict[str, Any]:
    out = {k: v for k, v in sub.items() if k not in ("_seq", "location", "hh")}
    if "location" in sub:
        loc = dict(sub["location"])
        if isinstance(loc.get("gps"), tuple):
            lon, lat, alt = loc["gps"]
            loc["gps"] = f"POINT ({lon} {lat} {alt})" if wkt else {"type": "Point", "coordinates": [lon, lat, alt]}
        out["location"] = loc
    if "hh" in sub:
        out["hh"] = (
            {"members": sub["hh"]["members"]}
            if expand
            else {"members@odata.navigationLink": f"Submissions('{sub['__id']}')/hh/members"}
        )
    return out


def _ordered(rows: list[dict[str, Any]], orderby: str | None) -> list[dict[str, Any]]:
    """Central's order: default `submissionDate desc`; `$orderby` on system fields, nulls first when asc."""
    if not orderby:
        return sorted(rows, key=lambda s: (s["__system"]["submissionDate"], s["_seq"]), reverse=True)
    result = sorted(rows, key=lambda s: s["_seq"])
    for clause in reversed([c.strip().split() for c in orderby.split(",")]):
        prop = SYSTEM_FIELDS.get(clause[0])
        if prop is None:
            raise ValueError(clause[0])
        desc = len(clause) > 1 and clause[1].lower() == "desc"
        result.sort(key=lambda s, p=prop: (s["__system"][p] is not None, s["__system"][p] or ""), reverse=desc)  # type: ignore[misc]
    return result


def _after_token(all_rows: list[dict[str, Any]], rows: list[dict[str, Any]], token: str) -> list[dict[str, Any]]:
    """Keyset paging: rows strictly after the token's submission in the default (descending) order."""
    try:
        instance = json.loads(base64.b64decode(token[2:]))["instanceId"]
    except (ValueError, KeyError) as err:
        raise ValueError(f"invalid $skiptoken {token}") from err
    anchor = next((s for s in all_rows if s["__id"] == instance), None)
    if anchor is None:
        return []
    key = (anchor["__system"]["submissionDate"], anchor["_seq"])
    return [s for s in rows if (s["__system"]["submissionDate"], s["_seq"]) < key]


# -- $filter: a small recursive-descent parser for the subset Central supports ----------------------
_TOKEN = re.compile(r"\s*(\(|\)|'[^']*'|[^\s()]+)")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}
Predicate = Callable[[dict[str, Any]], bool]


def parse_filter(text: str) -> Predicate:
    """`$filter` text → predicate over stored submissions (ValueError when unsupported)."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return lambda _s: True
    predicate, rest = _or(tokens)
    if rest:
        raise ValueError(" ".join(rest))
    return predicate


def _or(tokens: list[str]) -> tuple[Predicate, list[str]]:
    left, rest = _and(tokens)
    while rest and rest[0] == "or":
        right, rest = _and(rest[1:])
        left = (lambda a, b: lambda s: a(s) or b(s))(left, right)
    return left, rest


def _and(tokens: list[str]) -> tuple[Predicate, list[str]]:
    left, rest = _not(tokens)
    while rest and rest[0] == "and":
        right, rest = _not(rest[1:])
        left = (lambda a, b: lambda s: a(s) and b(s))(left, right)
    return left, rest


def _not(tokens: list[str]) -> tuple[Predicate, list[str]]:
    if tokens and tokens[0] == "not":
        inner, rest = _not(tokens[1:])
        return (lambda s: not inner(s)), rest
    if tokens and tokens[0] == "(":
        inner, rest = _or(tokens[1:])
        if not rest or rest[0] != ")":
            raise ValueError("missing )")
        return inner, rest[1:]
    if len(tokens) < 3 or tokens[1] not in _OPS:
        raise ValueError(" ".join(tokens[:3]))
    prop = SYSTEM_FIELDS.get(tokens[0].removeprefix("$root/Submissions/"))
    if prop is None:
        raise ValueError(tokens[0])
    op, literal = _OPS[tokens[1]], _literal(tokens[2])
    return (lambda s: op(_comparable(s["__system"][prop]), literal)), tokens[3:]


def _literal(token: str) -> Any:
    if token == "null":
        return None
    return _comparable(token.strip("'"))


def _comparable(value: Any) -> Any:
    """Timestamps compare as instants (ISO text with Z or an offset); other values as they are."""
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _form_summary(project_id: int, form: FakeOdkForm) -> dict[str, Any]:
    return {
        "projectId": project_id,
        "xmlFormId": form.xml_form_id,
        "name": form.name,
        "version": "2024010501",
        "state": "open",
        "createdAt": form.created_at,
        "publishedAt": form.created_at if form.published else None,
    }


def _edmx(form: FakeOdkForm) -> str:
    edm = {
        "int": "Edm.Int64",
        "decimal": "Edm.Decimal",
        "boolean": "Edm.Boolean",
        "date": "Edm.Date",
        "dateTime": "Edm.DateTimeOffset",
        "geopoint": "Edm.GeographyPoint",
    }
    props = "".join(
        f'<Property Name="{f["name"]}" Type="{edm.get(f["type"], "Edm.String")}"/>'
        for f in form.fields
        if f["type"] not in ("structure", "repeat")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">'
        f'<edmx:DataServices><Schema Namespace="org.opendatakit.user.{form.xml_form_id}"><EntityType Name="Submissions">'
        f'<Key><PropertyRef Name="__id"/></Key><Property Name="__id" Type="Edm.String"/>{props}</EntityType></Schema>'
        "</edmx:DataServices></edmx:Edmx>"
    )


def _problem(status: int, code: float, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)
