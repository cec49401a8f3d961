"""A fake SurveyCTO server following the REST API v2 the way SurveyCTO documents and serves it.

- Basic auth on every request (401 otherwise); a user whose role lacks API access gets 412 with
  `{"error": {"code": 412, "message": "API access not allowed...", "responseObject": null}}`.
- `GET /api/v2/forms/ids` → JSON array of form ids.
- `GET /api/v2/forms/data/wide/json/<form_id>?date=<epoch seconds | "Oct 15, 2015 12:00:00 AM">&r=<statuses>`
  → JSON array of wide-format submissions (repeat fields suffixed `_1`, `_2`, ...; every value a string;
  dates like "Mar 1, 2024 8:00:05 AM"), CompletionDate >= date, filtered by review status (`r`, pipe- or
  comma-separated; approved only when absent). No paging: one answer holds everything.
- Asking for all data (`date=0`) again within `full_data_wait` seconds → 417 with a message saying how
  many seconds to wait (SurveyCTO's rate limit on full downloads).

Switches: 429 + Retry-After, 500, 401 after k data requests, a missing field, a malformed CompletionDate.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DATE_FORMAT = "%b %-d, %Y %-I:%M:%S %p"
STATUSES = ("APPROVED", "PENDING", "REJECTED")


@dataclass
class FakeSurveyCto:
    """State and switches of one fake SurveyCTO server."""

    username: str = "analyst@example.org"
    password: str = "s3cret"
    base_time: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=5)
    )
    submissions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    api_access: bool = True
    full_data_wait: int = 0  # seconds between two date=0 downloads; 0 = unlimited
    fail_429: int = 0
    fail_500: int = 0
    retry_after: str = "1"
    unauthorized_after_requests: int | None = None
    missing_field_every: int | None = None  # drop "village" from every n-th submission
    malformed_date_at: int | None = None  # index (in the filtered answer) with a junk CompletionDate
    log: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    data_requests_served: int = 0
    _last_full: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self.submissions:
            self.add("household_survey", 90)
            self.add("water_point", 24)

    def add(self, form_id: str, count: int) -> None:
        """Append `count` submissions; pairs share a CompletionDate second (ties happen for real)."""
        rows = self.submissions.setdefault(form_id, [])
        for _ in range(count):
            n = len(rows)
            rows.append(_submission(form_id, n, self.base_time + timedelta(minutes=n // 2)))

    def ok_requests(self, path_part: str = "/data/") -> list[dict[str, str]]:
        return [params for status, path, params in self.log if status == 200 and path_part in path]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v2/forms/ids", self._form_ids),
                Route("/api/v2/forms/data/wide/json/{form_id}", self._form_data),
            ]
        )

    def _logged(self, status: int, request: Request, response: Response) -> Response:
        self.log.append((status, request.url.path, dict(request.query_params)))
        return response

    def _gate(self, request: Request) -> Response | None:
        if not _basic_ok(request, self.username, self.password):
            headers = {"WWW-Authenticate": 'Basic realm="SurveyCTO"'}
            return self._logged(401, request, Response(status_code=401, headers=headers))
        limit = self.unauthorized_after_requests
        if limit is not None and self.data_requests_served >= limit:
            return self._logged(401, request, Response(status_code=401))
        if not self.api_access:
            message = (
                "API access not allowed. Authenticate as a user in a user role that allows API access, then try again."
            )
            return self._logged(412, request, _error(412, message))
        if self.fail_500 > 0:
            self.fail_500 -= 1
            return self._logged(500, request, _error(500, "Internal error"))
        if self.fail_429 > 0:
            self.fail_429 -= 1
            return self._logged(429, request, Response(status_code=429, headers={"Retry-After": self.retry_after}))
        return None

    async def _form_ids(self, request: Request) -> Response:
        return self._gate(request) or self._logged(200, request, JSONResponse(list(self.submissions)))

    async def _form_data(self, request: Request) -> Response:
        blocked = self._gate(request)
        if blocked is not None:
            return blocked
        form_id = request.path_params["form_id"]
        if form_id not in self.submissions:
            return self._logged(404, request, _error(404, f"Form {form_id} not found"))
        since = _parse_date_param(request.query_params.get("date", ""))
        if since is None:
            return self._logged(400, request, _error(400, "The date parameter is required"))
        if since == datetime(1970, 1, 1) and self.full_data_wait:
            wait = self._last_full + self.full_data_wait - time.monotonic()
            if wait > 0:
                message = f"Please wait {int(wait) + 1} seconds before requesting all the data again."
                return self._logged(417, request, _error(417, message))
            self._last_full = time.monotonic()
        wanted = {s.strip().upper() for s in request.query_params.get("r", "approved").replace("|", ",").split(",")}
        rows = [r for r in self.submissions[form_id] if _when(r) >= since and r["review_status"] in wanted]
        self.data_requests_served += 1
        return self._logged(200, request, JSONResponse([self._damage(i, r) for i, r in enumerate(rows)]))

    def _damage(self, index: int, row: dict[str, str]) -> dict[str, str]:
        if self.missing_field_every and index % self.missing_field_every == 0:
            row = {k: v for k, v in row.items() if k != "village"}
        if self.malformed_date_at == index:
            row = {**row, "CompletionDate": "sometime in March"}
        return row


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "responseObject": None}}, status_code=code)


def _basic_ok(request: Request, username: str, password: str) -> bool:
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    return request.headers.get("authorization") == expected


def _parse_date_param(text: str) -> datetime | None:
    """SurveyCTO takes epoch seconds or "Oct 15, 2015 12:00:00 AM"."""
    if text.strip().isdigit():
        return datetime.fromtimestamp(int(text), UTC).replace(tzinfo=None)
    try:
        return datetime.strptime(text, "%b %d, %Y %I:%M:%S %p")
    except ValueError:
        return None


def _when(row: dict[str, str]) -> datetime:
    return datetime.strptime(row["CompletionDate"], "%b %d, %Y %I:%M:%S %p")


def _submission(form_id: str, n: int, completed: datetime) -> dict[str, str]:
    key = f"uuid:{form_id[:4]}-{n:06d}"
    row = {
        "CompletionDate": completed.strftime(DATE_FORMAT),
        "SubmissionDate": (completed + timedelta(seconds=30)).strftime(DATE_FORMAT),
        "starttime": (completed - timedelta(minutes=12)).strftime(DATE_FORMAT),
        "endtime": completed.strftime(DATE_FORMAT),
        "deviceid": f"35800107068{n % 10:04d}",
        "hh_name": f"Household {n}",
        "village": ["Gulu", "Lira", "Arua"][n % 3],
        "hh_size": str(1 + n % 6),
        "member_count": str(n % 3),
    }
    for i in range(1, n % 3 + 1):  # wide format: one column per repeat instance
        row[f"member_name_{i}"] = f"Person {n}-{i}"
        row[f"member_age_{i}"] = str(18 + (n + i) % 40)
    row.update(
        {
            "instanceID": key,
            "formdef_version": "2403011200",
            "review_quality": "",
            "review_status": STATUSES[n % 3] if n % 10 else "APPROVED",
            "KEY": key,
        }
    )
    return row
