"""Org and "me" routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from server.core.deps import AccountUser, SessionDep, client_ip, require_global
from server.core.errors import ERROR_RESPONSES
from server.core.permissions import ROLE_PERMISSIONS, Permission, Role
from server.models import Org, User
from server.orgs import schemas
from server.orgs.service import OrgService

router = APIRouter(tags=["orgs"], responses=ERROR_RESPONSES)


def _org(org: Org) -> schemas.Org:
    return schemas.Org.model_validate(org, from_attributes=True)


def _membership(org: Org, role: str) -> schemas.MembershipOut:
    permissions = sorted(p.value for p in ROLE_PERMISSIONS[Role(role)])
    return schemas.MembershipOut(org=_org(org), role=role, permissions=permissions)


@router.get("/me", operation_id="me-get")
def get_me(user: AccountUser, session: SessionDep) -> schemas.Me:
    memberships = [_membership(org, role) for org, role in OrgService(session).memberships(user)]
    return schemas.Me(id=user.id, email=user.email, is_superuser=user.is_superuser, memberships=memberships)


@router.get("/orgs", operation_id="orgs-list_orgs")
def list_orgs(user: AccountUser, session: SessionDep) -> schemas.OrgPage:
    orgs = OrgService(session).list_for(user)
    return schemas.OrgPage(items=[_org(o) for o in orgs], total=len(orgs))


@router.post("/orgs", status_code=status.HTTP_201_CREATED, operation_id="orgs-create_org")
def create_org(
    body: schemas.OrgCreate,
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(require_global(Permission.orgs_create))],
) -> schemas.Org:
    return _org(OrgService(session).create(body.name, user, slug=body.slug, ip=client_ip(request)))
