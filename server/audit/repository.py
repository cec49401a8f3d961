"""Queries for audit events: append one, list an org's."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.models import AuditEvent, Membership, User


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: AuditEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def list_for_org(
        self, org_id: str, limit: int, offset: int, action: str | None = None
    ) -> tuple[list[AuditEvent], int]:
        """Events of the org, plus sign-in events of its current members (those carry no org)."""
        members = select(Membership.user_id).where(Membership.org_id == org_id)
        emails = select(User.email).where(User.id.in_(members))
        cond = or_(
            AuditEvent.org_id == org_id,
            (AuditEvent.org_id.is_(None)) & (AuditEvent.actor_id.in_(members) | AuditEvent.actor_email.in_(emails)),
        )
        stmt = select(AuditEvent).where(cond)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(stmt.order_by(AuditEvent.created_at.desc()).limit(limit).offset(offset)).all()
        return list(rows), total
