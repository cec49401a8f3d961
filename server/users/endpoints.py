"""Members and invitations of the current org."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from server.auth.schemas import THROTTLED, ResetTokenOut
from server.core.deps import OrgContext, SessionDep, SettingsDep, client_ip, require
from server.core.errors import ERROR_RESPONSES
from server.core.permissions import Permission
from server.models import Invitation, Membership, User
from server.users import schemas
from server.users.service import UserService

router = APIRouter(tags=["users"], responses=ERROR_RESPONSES)
ReadUsers = Annotated[OrgContext, Depends(require(Permission.users_read))]
ManageUsers = Annotated[OrgContext, Depends(require(Permission.users_manage))]


def _member(m: Membership, u: User) -> schemas.Member:
    return schemas.Member(id=u.id, email=u.email, role=m.role, joined_at=m.created_at, is_superuser=u.is_superuser)


def _invitation(i: Invitation, ctx_slug: str, ctx_name: str) -> schemas.Invitation:
    return schemas.Invitation(
        id=i.id, email=i.email, role=i.role, code=i.code, expires_at=i.expires_at, org_slug=ctx_slug, org_name=ctx_name
    )


@router.get("/users", operation_id="users-list_users")
def list_users(ctx: ReadUsers, session: SessionDep, settings: SettingsDep) -> schemas.MemberPage:
    rows = UserService(session, settings).list_members(ctx)
    return schemas.MemberPage(items=[_member(m, u) for m, u in rows], total=len(rows))


@router.patch("/users/{user_id}", operation_id="users-update_user")
def update_user(
    user_id: str,
    body: schemas.MemberUpdate,
    request: Request,
    ctx: ManageUsers,
    session: SessionDep,
    settings: SettingsDep,
) -> schemas.Member:
    membership, user = UserService(session, settings).change_role(ctx, user_id, body.role, client_ip(request))
    return _member(membership, user)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="users-remove_user")
def remove_user(
    user_id: str, request: Request, ctx: ManageUsers, session: SessionDep, settings: SettingsDep
) -> Response:
    UserService(session, settings).remove(ctx, user_id, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/password-reset", status_code=status.HTTP_201_CREATED, operation_id="users-issue_password_reset"
)
def issue_password_reset(
    user_id: str, request: Request, ctx: ManageUsers, session: SessionDep, settings: SettingsDep
) -> ResetTokenOut:
    token, user, expires = UserService(session, settings).issue_reset(ctx, user_id, client_ip(request))
    return ResetTokenOut(token=token, expires_at=expires, email=user.email)


@router.get("/invitations", operation_id="invitations-list_invitations")
def list_invitations(ctx: ManageUsers, session: SessionDep, settings: SettingsDep) -> schemas.InvitationPage:
    rows = UserService(session, settings).pending_invitations(ctx)
    return schemas.InvitationPage(items=[_invitation(i, ctx.org.slug, ctx.org.name) for i in rows], total=len(rows))


@router.post("/invitations", status_code=status.HTTP_201_CREATED, operation_id="invitations-create_invitation")
def create_invitation(
    body: schemas.InvitationCreate, request: Request, ctx: ManageUsers, session: SessionDep, settings: SettingsDep
) -> schemas.Invitation:
    invitation = UserService(session, settings).invite(ctx, body.email, body.role, client_ip(request))
    return _invitation(invitation, ctx.org.slug, ctx.org.name)


@router.delete(
    "/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="invitations-cancel_invitation"
)
def cancel_invitation(
    invitation_id: str, request: Request, ctx: ManageUsers, session: SessionDep, settings: SettingsDep
) -> Response:
    UserService(session, settings).cancel_invitation(ctx, invitation_id, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/invitations/accept", responses=THROTTLED, operation_id="invitations-accept_invitation")
def accept_invitation(
    body: schemas.InvitationAccept, request: Request, session: SessionDep, settings: SettingsDep
) -> schemas.AcceptResult:
    tokens, invitation = UserService(session, settings).accept(body.code, body.password, client_ip(request))
    return schemas.AcceptResult(**tokens.model_dump(), org_slug=invitation.org.slug)
