"""Queries for notifications and notification settings, scoped to one org and one user."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from server.core.tenancy import scoped
from server.models import Membership, Notification, NotificationSetting, User
from server.models.base import utcnow
from server.notifications.errors import NotificationNotFound


class NotificationsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _mine(self, org_id: str, user_id: str) -> Select[Any]:
        return scoped(select(Notification), Notification, org_id).where(Notification.user_id == user_id)

    def list(
        self, org_id: str, user_id: str, unread_only: bool, limit: int, offset: int
    ) -> tuple[list[Notification], int]:
        stmt = self._mine(org_id, user_id)
        if unread_only:
            stmt = stmt.where(Notification.read_at.is_(None))
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(stmt.order_by(Notification.created_at.desc()).limit(limit).offset(offset))
        return list(rows), total

    def unread(self, org_id: str, user_id: str) -> int:
        stmt = self._mine(org_id, user_id).where(Notification.read_at.is_(None))
        return self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    def get(self, org_id: str, user_id: str, notification_id: str) -> Notification:
        found = self.session.scalars(self._mine(org_id, user_id).where(Notification.id == notification_id)).first()
        if found is None:
            raise NotificationNotFound(f"No notification with id {notification_id} for you in this organisation.")
        return found

    def mark_all_read(self, org_id: str, user_id: str) -> None:
        self.session.execute(
            update(Notification)
            .where(Notification.org_id == org_id, Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )

    def setting(self, org_id: str, user_id: str) -> NotificationSetting | None:
        stmt = scoped(select(NotificationSetting), NotificationSetting, org_id)
        return self.session.scalars(stmt.where(NotificationSetting.user_id == user_id)).first()

    def members(self, org_id: str) -> builtins.list[tuple[User, str, NotificationSetting | None]]:
        """Each active member of the org with their role and their notification setting (if they saved one)."""
        stmt = (
            scoped(select(User, Membership.role, NotificationSetting), Membership, org_id)
            .join(User, User.id == Membership.user_id)
            .outerjoin(
                NotificationSetting,
                (NotificationSetting.user_id == User.id) & (NotificationSetting.org_id == org_id),
            )
            .where(User.is_active.is_(True))
        )
        return [(row[0], row[1], row[2]) for row in self.session.execute(stmt)]

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()
