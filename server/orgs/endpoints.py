"""Org and "me" routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from server.core.deps import AccountUser, SessionDep, client_ip, require_global
from server.core.permissions import Permission
from server.models import User
from server.orgs import schemas
from server.orgs.service import OrgService

router = APIRouter(tags=["orgs"])


def _org(org: object) -> schemas.Org:
    return schemas.Org.model_validate(org, from_attributes=True)


@router.get("/me", operation_id="me-get")
def get_me(user: AccountUser, session: SessionDep) -> schemas.Me:
    memberships = [
        schemas.MembershipOut(org=_org(org), role=role) for org, role in OrgService(session).memberships(user)
    ]
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
