"""Audit log API (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from server.audit.schemas import AuditEventOut
from server.audit.service import AuditService
from server.core.deps import OrgContext, SessionDep, require
from server.core.errors import ERROR_RESPONSES
from server.core.paging import Offset
from server.core.permissions import Permission
from server.core.schemas import Page

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERROR_RESPONSES)


@router.get("", operation_id="audit-list_events")
def list_events(
    session: SessionDep,
    ctx: Annotated[OrgContext, Depends(require(Permission.audit_read))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
    action: str | None = None,
) -> Page[AuditEventOut]:
    rows, total = AuditService(session).list_for_org(ctx.org_id, limit, offset, action)
    return Page(items=[AuditEventOut.model_validate(r, from_attributes=True) for r in rows], total=total)
