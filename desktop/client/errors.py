"""Server error names mapped back to exception classes, so callers can `except InvalidCredentials`."""

from __future__ import annotations


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
    """No HTTP answer at all: the server is down, the URL is wrong or the network is off."""


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
