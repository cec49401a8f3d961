"""Queries for orgs and the caller's memberships (orgs are the tenants themselves: no org scoping here)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Membership, Org


class OrgsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[Org]:
        return list(self.session.scalars(select(Org).order_by(Org.name)).all())

    def of_user(self, user_id: str) -> list[tuple[Org, str]]:
        """The user's orgs with their role in each, by name."""
        rows = self.session.execute(
            select(Org, Membership.role)
            .join(Membership, Membership.org_id == Org.id)
            .where(Membership.user_id == user_id)
            .order_by(Org.name)
        ).all()
        return [(org, role) for org, role in rows]

    def slug_taken(self, slug: str) -> bool:
        return self.session.scalars(select(Org).where(Org.slug == slug)).first() is not None

    def add(self, org: Org, creator_id: str, role: str) -> Org:
        self.session.add(org)
        self.session.flush()
        self.session.add(Membership(user_id=creator_id, org_id=org.id, role=role))
        self.session.flush()
        return org
