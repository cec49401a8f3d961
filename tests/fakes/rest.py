"""A fake JSON REST API: one dataset served with each common pagination style, auth scheme and failure.

Paths (all GET; records sorted by `updated_at` (or `order_by`), then `id`; `updated_since=<ISO time>` keeps records updated
strictly after it):

    /api/all/people                     {"data": {"items": [...]}}                     no paging
    /api/pages/people?page=&per_page=   {"data": {"items": [...]}, "meta": {"total": N}} page number (from 1)
    /api/offset/people?offset=&limit=   {"results": [...], "count": N}                 offset/limit
    /api/cursor/people?cursor=&limit=   {"items": [...], "next_cursor": "..." | null}  opaque cursor token
    /api/link/people?page=&per_page=    [...] with `Link: <...>; rel="next"`            RFC 8288 Link header
    /api/next/people?page=&per_page=    {"records": [...], "next": "http://..." | null} next URL in the body

Auth (`FakeRest.auth`): none, header `X-API-Key`, query `api_key`, bearer token, HTTP basic; a wrong or
missing credential answers 401. Failure switches count pages from 1 in the order a client asks for them.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

API_KEY = "s3cret-key"
USERNAME, PASSWORD = "dalgo", "pa55word"
CITIES = ["Pune", "Nairobi", "Dhaka", "Lima"]
START = datetime(2024, 1, 1, tzinfo=UTC)


def make_people(count: int = 23) -> list[dict[str, Any]]:
    """People with a nested address, a list of tags and an array of visit objects (→ a child table)."""
    return [
        {
            "id": i,
            "name": f"Person {i}",
            "email": f"p{i}@example.org",
            "updated_at": (START + timedelta(hours=i)).isoformat().replace("+00:00", "Z"),
            "address": {"city": CITIES[i % 4], "geo": {"lat": 10.5 + i, "lon": 70.25}},
            "tags": ["staff"] if i % 2 else ["volunteer", "field"],
            "visits": [{"on": f"2024-02-{d + 1:02d}", "score": i * 10 + d} for d in range(i % 3)],
        }
        for i in range(1, count + 1)
    ]


@dataclass
class FakeRest:
    """The fake's data, auth mode, failure switches and a log of the requests it answered."""

    people: list[dict[str, Any]] = field(default_factory=make_people)
    auth: str = "none"  # none | header | query | bearer | basic
    order_by: str = "updated_at"  # "id" serves records out of cursor order once updated_at values are shuffled
    rate_limit_pages: set[int] = field(default_factory=set)  # answer 429 once on these pages
    retry_after: str = "1"
    server_error_pages: dict[int, int] = field(default_factory=dict)  # page → how many 500s before it works
    unauthorized_after_page: int | None = None  # later pages answer 401 (a token revoked mid-sync)
    missing_field_page: int | None = None  # records on this page lack "email"
    malformed_cursor_page: int | None = None  # the first record on this page has updated_at "not-a-date"
    requests: list[dict[str, Any]] = field(default_factory=list)  # {at, path, page, status, query}
    _limited: set[int] = field(default_factory=set)

    def app(self) -> FastAPI:
        """The FastAPI app serving this state."""
        return _build_app(self)

    def pages_served(self, status: int = 200) -> list[int]:
        return [r["page"] for r in self.requests if r["status"] == status]


def _authorised(fake: FakeRest, request: Request) -> bool:
    headers, query = request.headers, request.query_params
    expected_basic = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    return {
        "none": True,
        "header": headers.get("X-API-Key") == API_KEY,
        "query": query.get("api_key") == API_KEY,
        "bearer": headers.get("Authorization") == f"Bearer {API_KEY}",
        "basic": headers.get("Authorization") == expected_basic,
    }[fake.auth]


def _failure(fake: FakeRest, request: Request, page: int) -> Response | None:
    """The injected failure for this request, if any (checked in the order a real API would)."""
    if not _authorised(fake, request) or (
        fake.unauthorized_after_page is not None and page > fake.unauthorized_after_page
    ):
        return JSONResponse({"detail": "Invalid or expired credentials"}, status_code=401)
    if page in fake.rate_limit_pages and page not in fake._limited:
        fake._limited.add(page)
        return JSONResponse({"detail": "Too many requests"}, status_code=429, headers={"Retry-After": fake.retry_after})
    if fake.server_error_pages.get(page, 0) > 0:
        fake.server_error_pages[page] -= 1
        return JSONResponse({"detail": "Internal error"}, status_code=500)
    return None


def _selected(fake: FakeRest, request: Request) -> list[dict[str, Any]]:
    since = request.query_params.get("updated_since")
    rows = sorted(fake.people, key=lambda p: (p[fake.order_by], p.get("id") or 0))
    if since:
        bound = datetime.fromisoformat(since.replace("Z", "+00:00"))
        rows = [p for p in rows if datetime.fromisoformat(p["updated_at"].replace("Z", "+00:00")) > bound]
    return rows


def _page_records(
    fake: FakeRest, rows: list[dict[str, Any]], offset: int, limit: int, page: int
) -> list[dict[str, Any]]:
    records = [dict(r) for r in rows[offset : offset + limit]]
    if page == fake.missing_field_page:
        for record in records:
            record.pop("email", None)
    if page == fake.malformed_cursor_page and records:
        records[0]["updated_at"] = "not-a-date"
    return records


def _int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    return int(value) if value else default


def _build_app(fake: FakeRest) -> FastAPI:
    app = FastAPI()

    def answer(request: Request, page: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        response = _failure(fake, request, page) or JSONResponse(body, headers=headers)
        fake.requests.append(
            {
                "at": time.monotonic(),
                "path": request.url.path,
                "page": page,
                "status": response.status_code,
                "query": dict(request.query_params),
            }
        )
        return response

    @app.get("/api/all/people")
    def all_people(request: Request) -> Response:
        rows = _selected(fake, request)
        return answer(request, 1, {"data": {"items": _page_records(fake, rows, 0, len(rows), 1)}})

    @app.get("/api/pages/people")
    def by_page(request: Request) -> Response:
        page, size = _int(request, "page", 1), _int(request, "per_page", 10)
        rows = _selected(fake, request)
        items = _page_records(fake, rows, (page - 1) * size, size, page)
        return answer(request, page, {"data": {"items": items}, "meta": {"total": len(rows), "page": page}})

    @app.get("/api/offset/people")
    def by_offset(request: Request) -> Response:
        offset, limit = _int(request, "offset", 0), _int(request, "limit", 10)
        rows, page = _selected(fake, request), offset // max(limit, 1) + 1
        return answer(request, page, {"results": _page_records(fake, rows, offset, limit, page), "count": len(rows)})

    @app.get("/api/cursor/people")
    def by_cursor(request: Request) -> Response:
        limit, token = _int(request, "limit", 10), request.query_params.get("cursor")
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:")) if token else 0
        except (ValueError, binascii.Error):
            return JSONResponse({"detail": f"malformed cursor {token!r}"}, status_code=400)
        rows, page = _selected(fake, request), offset // max(limit, 1) + 1
        more = offset + limit < len(rows)
        following = base64.urlsafe_b64encode(f"o:{offset + limit}".encode()).decode() if more else None
        return answer(
            request, page, {"items": _page_records(fake, rows, offset, limit, page), "next_cursor": following}
        )

    def next_url(request: Request, page: int, total: int, size: int) -> str | None:
        return str(request.url.include_query_params(page=page + 1)) if page * size < total else None

    @app.get("/api/link/people")
    def by_link(request: Request) -> Response:
        page, size = _int(request, "page", 1), _int(request, "per_page", 10)
        rows = _selected(fake, request)
        following = next_url(request, page, len(rows), size)
        headers = {"Link": f'<{following}>; rel="next"'} if following else {}
        return answer(request, page, _page_records(fake, rows, (page - 1) * size, size, page), headers)

    @app.get("/api/next/people")
    def by_next_url(request: Request) -> Response:
        page, size = _int(request, "page", 1), _int(request, "per_page", 10)
        rows = _selected(fake, request)
        body = {
            "records": _page_records(fake, rows, (page - 1) * size, size, page),
            "next": next_url(request, page, len(rows), size),
        }
        return answer(request, page, body)

    return app
