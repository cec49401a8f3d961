"""Member and invitation bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from server.auth.schemas import TokenPair
from server.core.permissions import Role
from server.core.schemas import Page


class Member(BaseModel):
    id: str
    email: str
    role: str
    joined_at: datetime
    # a super-admin acts as super-admin in every org, whatever their membership row says: the desktop shows that
    is_superuser: bool = False


MemberPage = Page[Member]


class MemberUpdate(BaseModel):
    role: Role


class InvitationCreate(BaseModel):
    email: EmailStr
    role: Role = Role.member


class Invitation(BaseModel):
    id: str
    email: str
    role: str
    code: str
    expires_at: datetime
    org_slug: str
    org_name: str


InvitationPage = Page[Invitation]


class InvitationAccept(BaseModel):
    code: str = Field(min_length=4, max_length=40)
    password: str = Field(min_length=1, max_length=1000)


class AcceptResult(TokenPair):
    org_slug: str
