"""Org bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Org(BaseModel):
    id: str
    name: str
    slug: str


class OrgCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


class OrgPage(BaseModel):
    items: list[Org]
    total: int


class MembershipOut(BaseModel):
    org: Org
    role: str


class Me(BaseModel):
    id: str
    email: str
    is_superuser: bool
    memberships: list[MembershipOut]
