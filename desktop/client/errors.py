"""Server error names mapped back to exception classes, so callers can `except InvalidCredentials`.

Also the words for failures a person sees: a network failure or a refused form says what happened and what
to do next, never an errno or a pydantic message (the raw text stays on the exception for logs and forms).
"""

from __future__ import annotations

import re
import socket
import ssl
from urllib.parse import urlsplit

import httpx


class ApiError(Exception):
    """A failed API call: `name` is the server's error class, `detail` a message for a person."""

    def __init__(self, name: str, detail: str, status: int, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, status={self.status}, detail={self.detail!r})"


class ServerUnreachable(ApiError):
    """No HTTP answer at all: the server is down, the URL is wrong or the network is off.

    `detail` is for a person; `technical` keeps the transport's own words for the log and a "Details" line.
    """

    technical = ""


class SessionExpired(ApiError):
    """The sign-in cannot be renewed any more; the user has to sign in again."""


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class ValidationError(ApiError):
    pass


class TooManyRequests(ApiError):
    pass


class ServerError(ApiError):
    pass


class InvalidCredentials(Unauthorized):
    pass


class InvalidRefreshToken(Unauthorized):
    pass


class AccountLocked(TooManyRequests):
    pass


class WeakPassword(BadRequest):
    pass


class InvalidResetToken(BadRequest):
    pass


class InvalidInvitation(BadRequest):
    pass


class MalformedJSON(BadRequest):
    pass


class AlreadySetUp(Conflict):
    pass


class AlreadyMember(Conflict):
    pass


class InvitationPending(Conflict):
    pass


class LastAdmin(Conflict):
    pass


class OrgSlugTaken(Conflict):
    pass


class RoleTooHigh(Forbidden):
    pass


class OwnRoleChange(Forbidden):
    pass


class MemberNotFound(NotFound):
    pass


class InvitationNotFound(NotFound):
    pass


_BY_NAME: dict[str, type[ApiError]] = {
    cls.__name__: cls
    for cls in (
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ValidationError, TooManyRequests,
        InvalidCredentials, InvalidRefreshToken, AccountLocked, WeakPassword, InvalidResetToken, InvalidInvitation,
        MalformedJSON, AlreadySetUp, AlreadyMember, InvitationPending, LastAdmin, OrgSlugTaken, RoleTooHigh,
        OwnRoleChange, MemberNotFound, InvitationNotFound,
    )
}  # fmt: skip
_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: TooManyRequests,
}
_BY_NAME["InternalError"] = ServerError


def error_class(name: str, status: int) -> type[ApiError]:
    """The class for a server error name; a name we do not know yet falls back to its status family."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


def make_error(name: str, detail: str, status: int, retry_after: int | None = None) -> ApiError:
    return error_class(name, status)(name, detail, status, retry_after)


# --- words for people -----------------------------------------------------------------------------
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def server_words(base_url: str) -> tuple[str, bool]:
    """('dalgo.example.org', False), or ('the Dalgo server on this computer', True) for the embedded one."""
    host = urlsplit(base_url).hostname or base_url
    if host in LOCAL_HOSTS:
        return "the Dalgo server on this computer", True
    return host, False


def unreachable(base_url: str, err: httpx.TransportError) -> ServerUnreachable:
    """A transport failure in plain words with the next step: DNS, refused, timeout, certificate."""
    where, local = server_words(base_url)
    cause = _cause(err)
    if isinstance(err, httpx.TimeoutException):
        text = f"{where[:1].upper()}{where[1:]} took too long to answer. Check your internet connection and try again."
    elif local:
        text = "The Dalgo server on this computer is not answering. Close Dalgo and open it again."
    elif isinstance(cause, ssl.SSLError) or "CERTIFICATE" in str(err).upper():
        text = f"Can't make a secure connection to {where}. Check the address, or ask whoever runs that server."
    elif isinstance(cause, ConnectionRefusedError) or "refused" in str(err).lower():
        text = f"{where} is not answering: the Dalgo server there may be stopped. Check the address, or try later."
    else:  # name not found, network down, route missing: the same advice helps
        text = f"Can't reach {where}. Check the address or your internet connection."
    error = ServerUnreachable("ServerUnreachable", text, 0)
    error.technical = f"{type(err).__name__}: {err}" + (f" ({type(cause).__name__})" if cause is not err else "")
    return error


def _cause(err: BaseException) -> BaseException:
    """The innermost socket error under httpx's and httpcore's wrappers."""
    seen: BaseException = err
    while True:
        inner = seen.__cause__ or seen.__context__
        if inner is None or inner is seen:
            return seen
        seen = inner
        if isinstance(seen, (socket.gaierror, ConnectionRefusedError, ssl.SSLError)):
            return seen


_FIELDS = {
    "email": "email address",
    "password": "password",
    "new_password": "new password",
    "current_password": "current password",
    "code": "invitation code",
    "token": "reset code",
    "org_name": "organisation name",
    "name": "name",
    "role": "role",
}
_PLAIN = [
    (re.compile(r"value is not a valid email address"), "That does not look like an email address: check it."),
    (re.compile(r"String should have at least (\d+) characters?"), "The {field} is too short: use at least {0} characters."),
    (re.compile(r"String should have at most (\d+) characters?"), "The {field} is too long: use at most {0} characters."),
    (re.compile(r"Field required"), "Fill in the {field}."),
    (re.compile(r"Input should be '(.*)"), "Choose one of the offered {field}s."),
]  # fmt: skip


def plain_validation(detail: str) -> str:
    """'email: value is not a valid email address: …' → 'That does not look like an email address: check it.'"""
    sentences = []
    for part in detail.split("; "):
        field, _, message = part.partition(": ")
        words = _FIELDS.get(field.split(".")[-1], field.split(".")[-1].replace("_", " "))
        sentences.append(_plain_one(words, message or part))
    return " ".join(dict.fromkeys(sentences))


def _plain_one(field: str, message: str) -> str:
    for pattern, text in _PLAIN:
        found = pattern.search(message)
        if found:
            return text.format(*found.groups(), field=field)
    return f"The {field} is not accepted: {message[:1].lower()}{message[1:].split(': ')[0]}."


def message(err: ApiError) -> str:
    """What a person reads for a failed call: validation refusals in plain words, others as the server said."""
    if isinstance(err, ValidationError):
        return plain_validation(err.detail)
    return err.detail
