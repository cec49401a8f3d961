"""Notification routes: the signed-in user's notifications in this org, unread count, read, settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from server.core.deps import OrgContext, SessionDep, require
from server.core.errors import ERROR_RESPONSES
from server.core.paging import Offset
from server.core.permissions import Permission
from server.notifications import schemas
from server.notifications.service import NotificationService

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=ERROR_RESPONSES)
Mine = Annotated[OrgContext, Depends(require(Permission.notifications_read))]


def notification_service(request: Request, session: SessionDep) -> NotificationService:
    return NotificationService(session, request.app.state.settings)


ServiceDep = Annotated[NotificationService, Depends(notification_service)]


@router.get("", operation_id="notifications-list_notifications")
def list_notifications(
    ctx: Mine,
    service: ServiceDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> schemas.NotificationPage:
    rows, total = service.list(ctx, unread, limit, offset)
    items = [schemas.NotificationOut.model_validate(r, from_attributes=True) for r in rows]
    return schemas.NotificationPage(items=items, total=total)


@router.get("/unread-count", operation_id="notifications-unread_count")
def unread_count(ctx: Mine, service: ServiceDep) -> schemas.UnreadCount:
    return schemas.UnreadCount(unread=service.unread(ctx))


@router.post("/read-all", operation_id="notifications-mark_all_read")
def mark_all_read(ctx: Mine, service: ServiceDep) -> schemas.UnreadCount:
    service.mark_all_read(ctx)
    return schemas.UnreadCount(unread=0)


@router.get("/settings", operation_id="notifications-get_settings")
def get_settings(ctx: Mine, service: ServiceDep) -> schemas.NotificationSettings:
    return service.get_settings(ctx)


@router.put("/settings", operation_id="notifications-put_settings")
def put_settings(body: schemas.NotificationSettings, ctx: Mine, service: ServiceDep) -> schemas.NotificationSettings:
    return service.put_settings(ctx, body)


@router.post("/{notification_id}/read", operation_id="notifications-mark_read")
def mark_read(notification_id: str, ctx: Mine, service: ServiceDep) -> schemas.NotificationOut:
    return schemas.NotificationOut.model_validate(service.mark_read(ctx, notification_id), from_attributes=True)
