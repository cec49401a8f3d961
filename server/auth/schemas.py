"""Auth request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, EmailStr, Field, TypeAdapter

from server.core.errors import ErrorBody

# Routes that count failed attempts answer 429 (with Retry-After) once an account or address is locked.
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "Too many failed attempts; wait and try again (see Retry-After)."}
}

_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


def normalise_email(value: str) -> str:
    """Every account address passes the rule sign-in applies (`EmailStr`), so no path makes one login refuses."""
    return _EMAIL.validate_python(value)


class LoginRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1)


class LogoutRequest(BaseModel):
    refresh_token: str | None = None


class ChangePasswordRequest(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


class ResetRequest(BaseModel):
    email: EmailStr


class ResetPasswordRequest(BaseModel):
    token: str = Field(min_length=1)
    new_password: str = Field(min_length=1, max_length=1000)


class ResetTokenOut(BaseModel):
    token: str
    expires_at: str
    email: str


class SetupStatus(BaseModel):
    needs_setup: bool
    mode: str


class SetupRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000)
    org_name: str = Field(min_length=1, max_length=200)


class Notice(BaseModel):
    """A plain message about what happens next."""

    detail: str
