"""A fake Google: Sheets API v4, the OAuth2 token endpoint for service accounts, and the CSV export URL.

- `POST /token` (grant_type `urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion` = RS256 JWT with
  iss = client_email, aud = this token URI, scope, iat/exp ≤ 1 h) → `{"access_token", "expires_in",
  "token_type": "Bearer"}`; a bad signature / audience → 400 `{"error": "invalid_grant", ...}`.
- `GET /v4/spreadsheets/<id>?fields=sheets.properties` → `{"sheets": [{"properties": {sheetId, title, index,
  sheetType, gridProperties: {rowCount, columnCount}}}]}`.
- `GET /v4/spreadsheets/<id>/values/<A1 range>` → `{"range", "majorDimension": "ROWS", "values"}` with
  trailing empty cells and rows left out, as Google does. Row ranges like `'My tab'!2:51` are understood.
- Errors as `{"error": {"code", "message", "status"}}`: 401 UNAUTHENTICATED, 403 PERMISSION_DENIED for a
  spreadsheet not shared with the service account, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED.
- `GET /spreadsheets/d/<id>/export?format=csv&gid=<gid>` → 307 to the CSV; a sheet that is not shared
  publicly → 302 to an HTML sign-in page (200, text/html), as Google does.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
RANGE_RE = re.compile(r"^'((?:[^']|'')*)'(?:!(\d+):(\d+))?$")


@dataclass
class Tab:
    sheet_id: int
    title: str
    rows: list[list[str]]
    row_count: int = 1000


@dataclass
class FakeGoogle:
    """One spreadsheet, its tabs, the service account allowed to read it, and failure switches."""

    spreadsheet_id: str = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    client_email: str = "dalgo-reader@dalgo-test.iam.gserviceaccount.com"
    public_key: Any = None  # the service account's public key; token requests are verified with it
    tabs: list[Tab] = field(default_factory=list)
    shared_with_service_account: bool = True
    shared_publicly: bool = True
    fail_429: int = 0
    fail_500: int = 0
    unauthorized_after_value_reads: int | None = None
    tokens: set[str] = field(default_factory=set)
    log: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    value_reads: int = 0

    def __post_init__(self) -> None:
        if not self.tabs:
            self.tabs = [
                Tab(0, "Beneficiaries", beneficiaries(120)),
                Tab(418207, "Distributions 2024", distributions(30)),
            ]

    def tab(self, title: str) -> Tab:
        return next(t for t in self.tabs if t.title == title)

    def value_ranges(self) -> list[str]:
        return [path.split("/values/", 1)[1] for status, path, _ in self.log if status == 200 and "/values/" in path]

    def app(self) -> Starlette:
        sid = "/v4/spreadsheets/{spreadsheet_id}"
        return Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route(sid, self._spreadsheet),
                Route(sid + "/values/{rng:path}", self._values),
                Route("/spreadsheets/d/{spreadsheet_id}/export", self._export),
                Route("/export-content/{spreadsheet_id}/{gid}", self._export_content),
                Route("/ServiceLogin", self._login_page),
            ]
        )

    def _logged(self, status: int, request: Request, response: Response) -> Response:
        self.log.append((status, request.url.path, dict(request.query_params)))
        return response

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._logged(400, request, JSONResponse({"error": "unsupported_grant_type"}, 400))
        try:
            claims = jwt.decode(
                str(form.get("assertion")), self.public_key, algorithms=["RS256"], audience=str(request.url)
            )
        except jwt.PyJWTError as err:
            body = {"error": "invalid_grant", "error_description": f"Invalid JWT: {err}"}
            return self._logged(400, request, JSONResponse(body, 400))
        if (
            claims.get("iss") != self.client_email
            or SCOPE not in str(claims.get("scope"))
            or claims["exp"] - claims["iat"] > 3600
        ):
            return self._logged(
                400, request, JSONResponse({"error": "invalid_grant", "error_description": "bad claims"}, 400)
            )
        token = "ya29." + secrets.token_urlsafe(16)
        self.tokens.add(token)
        return self._logged(
            200, request, JSONResponse({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
        )

    def _api_gate(self, request: Request, spreadsheet_id: str) -> Response | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self._logged(
                401, request, _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
            )
        if spreadsheet_id != self.spreadsheet_id:
            return self._logged(404, request, _error(404, "Requested entity was not found.", "NOT_FOUND"))
        if not self.shared_with_service_account:
            return self._logged(403, request, _error(403, "The caller does not have permission", "PERMISSION_DENIED"))
        if self.fail_500 > 0:
            self.fail_500 -= 1
            return self._logged(500, request, _error(500, "Internal error encountered.", "INTERNAL"))
        if self.fail_429 > 0:
            self.fail_429 -= 1
            message = "Quota exceeded for quota metric 'Read requests' of service 'sheets.googleapis.com'"
            return self._logged(429, request, _error(429, message, "RESOURCE_EXHAUSTED", {"Retry-After": "1"}))
        return None

    async def _spreadsheet(self, request: Request) -> Response:
        blocked = self._api_gate(request, request.path_params["spreadsheet_id"])
        if blocked is not None:
            return blocked
        sheets = [{"properties": _properties(i, t)} for i, t in enumerate(self.tabs)]
        return self._logged(200, request, JSONResponse({"sheets": sheets}))

    async def _values(self, request: Request) -> Response:
        blocked = self._api_gate(request, request.path_params["spreadsheet_id"])
        limit = self.unauthorized_after_value_reads
        if blocked is None and limit is not None and self.value_reads >= limit:
            blocked = self._logged(
                401, request, _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
            )
        if blocked is not None:
            return blocked
        rng = request.path_params["rng"]
        match = RANGE_RE.match(rng)
        tab = next((t for t in self.tabs if match and t.title == match.group(1).replace("''", "'")), None)
        if match is None or tab is None:
            return self._logged(400, request, _error(400, f"Unable to parse range: {rng}", "INVALID_ARGUMENT"))
        first, last = (int(match.group(2)), int(match.group(3))) if match.group(2) else (1, tab.row_count)
        values = _trim([row for row in tab.rows[first - 1 : last]])
        self.value_reads += 1
        body: dict[str, Any] = {"range": f"{rng}", "majorDimension": "ROWS"}
        if values:
            body["values"] = values
        return self._logged(200, request, JSONResponse(body))

    async def _export(self, request: Request) -> Response:
        if request.query_params.get("format") != "csv":
            return self._logged(400, request, HTMLResponse("<html>Bad Request</html>", 400))
        if not self.shared_publicly:
            return self._logged(302, request, RedirectResponse("/ServiceLogin?continue=docs", 302))
        target = f"/export-content/{request.path_params['spreadsheet_id']}/{request.query_params.get('gid', '0')}"
        return self._logged(307, request, RedirectResponse(target, 307))

    async def _export_content(self, request: Request) -> Response:
        gid = request.path_params["gid"]
        tab = next((t for t in self.tabs if str(t.sheet_id) == gid), None)
        if request.path_params["spreadsheet_id"] != self.spreadsheet_id or tab is None:
            return self._logged(404, request, HTMLResponse("<html>Not Found</html>", 404))
        rows = _trim(tab.rows)  # the export pads every row to the widest one, like Google
        width = max((len(r) for r in rows), default=0)
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(r + [""] * (width - len(r)) for r in rows)
        return self._logged(200, request, PlainTextResponse(out.getvalue(), media_type="text/csv"))

    async def _login_page(self, request: Request) -> Response:
        return self._logged(
            200, request, HTMLResponse("<!DOCTYPE html><html><title>Sign in - Google Accounts</title></html>")
        )


def _error(code: int, message: str, status: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "status": status}}, code, headers)


def _properties(index: int, tab: Tab) -> dict[str, Any]:
    grid = {"rowCount": tab.row_count, "columnCount": max(26, *(len(r) for r in tab.rows or [[]]))}
    return {"sheetId": tab.sheet_id, "title": tab.title, "index": index, "sheetType": "GRID", "gridProperties": grid}


def _trim(rows: list[list[str]]) -> list[list[str]]:
    """Google leaves out trailing empty cells of each row and trailing empty rows of the range."""
    trimmed = []
    for row in rows:
        cells = list(row)
        while cells and cells[-1] == "":
            cells.pop()
        trimmed.append(cells)
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def beneficiaries(count: int) -> list[list[str]]:
    """Header + rows; every 9th row has an empty cell in the middle, every 13th a short row."""
    rows = [["Beneficiary ID", "Full name", "Village", "Household size", "Enrolled on", ""]]
    for n in range(1, count + 1):
        row = [
            f"B{n:04d}",
            f"Person {n}",
            ["Gulu", "Lira", "Arua"][n % 3],
            str(1 + n % 7),
            f"2024-02-{1 + n % 28:02d}",
            "",
        ]
        if n % 9 == 0:
            row[2] = ""
        if n % 13 == 0:
            row = row[:2]
        rows.append(row)
    return rows


def distributions(count: int) -> list[list[str]]:
    rows = [["Date", "Item", "Quantity", "Quantity"]]  # duplicate header on purpose
    rows += [[f"2024-03-{1 + n % 28:02d}", ["maize", "beans", "oil"][n % 3], str(n * 5), str(n)] for n in range(count)]
    return rows
