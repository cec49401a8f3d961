"""The error model: AppError subclasses carry a status code; one handler renders {"error", "detail"}."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipelines.errors import NotFoundError, PipelineError, TransientError

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure with a message a person can act on."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class TooManyRequests(AppError):
    status_code = 429


class ValidationFailed(AppError):
    status_code = 422


class ErrorBody(BaseModel):
    """What every failed request answers: the error's name and a plain-language explanation."""

    error: str
    detail: str


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Documented on every API operation, so the OpenAPI document matches what the handlers below send
# (declaring 422 also stops FastAPI from documenting its own HTTPValidationError shape).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The request cannot be carried out as sent (bad value, malformed JSON, engine refused it)."),
    401: _documented("Not signed in, or the sign-in expired."),
    403: _documented("The caller's role does not allow this."),
    404: _documented("No such resource in this organisation."),
    409: _documented("The request conflicts with the current state (already running, name taken)."),
    422: _documented("A parameter or body field is not valid."),
    503: _documented("A remote system did not answer; retrying later may work."),
}


# For routes whose success is not JSON (text, files): FastAPI would document their errors in the route's
# media type, but errors are always JSON.
ERRORS_AS_JSON: dict[int | str, dict[str, Any]] = {
    code: {
        "description": spec["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for code, spec in ERROR_RESPONSES.items()
}


def error_body(name: str, detail: str) -> dict[str, str]:
    return {"error": name, "detail": detail}


def _describe_validation(exc: RequestValidationError) -> tuple[str, str, int]:
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            where = ctx.get("error", "")
            return "MalformedJSON", f"The request body is not valid JSON ({where}).", 400
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "request"
        parts.append(f"{field}: {err.get('msg', 'invalid value')}")
    return "ValidationError", "; ".join(parts) or "The request is not valid.", 422


def _engine_status(exc: PipelineError) -> int:
    """Engine errors are about data or a remote system, never the caller's own session: no 401s here."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, TransientError):
        return 503
    return 400


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the server as {"error": ClassName, "detail": "..."}."""

    from server.core.redact import redactor

    redact = redactor(app.state.settings.mode, app.state.settings.home)

    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        body = error_body(type(exc).__name__, redact(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        name, detail, status = _describe_validation(exc)
        return JSONResponse(error_body(name, detail), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized", 403: "Forbidden"}
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address."
        # keep the exception's headers: a 405 must say which methods are allowed (Allow)
        return JSONResponse(
            error_body(names.get(exc.status_code, "HTTPError"), detail),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(PipelineError)
    async def _engine(_request: Request, exc: PipelineError) -> JSONResponse:
        return JSONResponse(error_body(type(exc).__name__, redact(str(exc))), status_code=_engine_status(exc))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("InternalError", "Something went wrong on the server; the details are in its log."),
            status_code=500,
        )
