"""Org bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.core.schemas import Page


class Org(BaseModel):
    id: str
    name: str
    slug: str


class OrgCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


OrgPage = Page[Org]


class MembershipOut(BaseModel):
    org: Org
    role: str
    permissions: list[str] = Field(description="what this role may do in this org (server.core.permissions)")


class Me(BaseModel):
    id: str
    email: str
    is_superuser: bool
    memberships: list[MembershipOut]
