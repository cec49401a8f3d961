"""The audit log: record security events, list them for an org's admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.audit.repository import AuditRepository
from server.models import AuditEvent, User


class AuditService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._repo = AuditRepository(session)

    def record(
        self,
        action: str,
        *,
        actor: User | None = None,
        actor_email: str | None = None,
        org_id: str | None = None,
        target: str | None = None,
        ip: str | None = None,
        **detail: Any,
    ) -> None:
        """Append one event; `detail` must never hold secrets."""
        self._repo.add(
            AuditEvent(
                action=action,
                actor_id=actor.id if actor else None,
                actor_email=actor.email if actor else actor_email,
                org_id=org_id,
                target=target,
                ip=ip,
                detail=detail,
            )
        )

    def list_for_org(
        self, org_id: str, limit: int, offset: int, action: str | None = None
    ) -> tuple[list[AuditEvent], int]:
        """Events of the org, plus sign-in events of its current members (those carry no org)."""
        return self._repo.list_for_org(org_id, limit, offset, action)
