"""Audit log API (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from server.audit.service import AuditService
from server.core.deps import OrgContext, SessionDep, require
from server.core.permissions import Permission

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    id: str
    action: str
    actor_email: str | None
    target: str | None
    detail: dict[str, Any]
    ip: str | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    total: int


@router.get("", operation_id="audit-list_events")
def list_events(
    session: SessionDep,
    ctx: Annotated[OrgContext, Depends(require(Permission.audit_read))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    action: str | None = None,
) -> AuditPage:
    rows, total = AuditService(session).list_for_org(ctx.org_id, limit, offset, action)
    return AuditPage(items=[AuditEventOut.model_validate(r, from_attributes=True) for r in rows], total=total)
