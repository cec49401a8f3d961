"""Queries for an org's warehouse settings, scoped through server.core.tenancy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.tenancy import scoped
from server.models import OrgWarehouse


class WarehouseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def settings(self, org_id: str) -> OrgWarehouse | None:
        return self.session.scalars(scoped(select(OrgWarehouse), OrgWarehouse, org_id)).first()
