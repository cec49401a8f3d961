"""Response bodies of the Dalgo API as typed, frozen models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Model(BaseModel):
    """Base: ignore fields a newer server adds, never mutate a response."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Page(Model, Generic[T]):
    items: list[T]
    total: int


class Health(Model):
    status: str
    version: str
    mode: str
    database: str


class SetupStatus(Model):
    needs_setup: bool
    mode: str


class TokenPair(Model):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = 0


class AcceptResult(TokenPair):
    org_slug: str


class Org(Model):
    id: str
    name: str
    slug: str


class Membership(Model):
    org: Org
    role: str
    # what the role may do in this org, from the server's one role table: the desktop keeps no copy
    permissions: frozenset[str] = frozenset()


class Me(Model):
    id: str
    email: str
    is_superuser: bool = False
    memberships: list[Membership] = Field(default_factory=list)


class Member(Model):
    id: str
    email: str
    role: str
    joined_at: datetime
    is_superuser: bool = False

    @property
    def acting_role(self) -> str:
        """The role this person acts with here: a super-admin is one in every org, as /me says."""
        return "super-admin" if self.is_superuser else self.role


class Invitation(Model):
    id: str
    email: str
    role: str
    code: str
    expires_at: datetime
    org_slug: str
    org_name: str


class ResetCode(Model):
    token: str
    expires_at: datetime
    email: str


class AuditEvent(Model):
    id: str
    action: str
    actor_email: str | None = None
    target: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    ip: str | None = None
    created_at: datetime
