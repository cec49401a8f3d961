"""Auth errors, named so the desktop client can map them back to exception classes."""

from __future__ import annotations

from server.core.errors import BadRequest, Conflict, TooManyRequests, Unauthorized


class InvalidCredentials(Unauthorized):
    pass


class AccountLocked(TooManyRequests):
    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after_s)}


class InvalidRefreshToken(Unauthorized):
    pass


class WeakPassword(BadRequest):
    pass


class InvalidEmail(BadRequest):
    pass


class InvalidResetToken(BadRequest):
    pass


class AlreadySetUp(Conflict):
    pass
