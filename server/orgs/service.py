"""Orgs: create (creator becomes admin), list the caller's orgs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.service import AuditService
from server.core.errors import BadRequest, Conflict
from server.core.permissions import Role
from server.models import Membership, Org, User


class OrgSlugTaken(Conflict):
    pass


class OrgService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list_for(self, user: User) -> list[Org]:
        """Orgs the user belongs to; a super-admin sees every org."""
        stmt = select(Org).order_by(Org.name)
        if not user.is_superuser:
            stmt = stmt.join(Membership, Membership.org_id == Org.id).where(Membership.user_id == user.id)
        return list(self.session.scalars(stmt).all())

    def create(self, name: str, creator: User, slug: str | None = None, ip: str | None = None) -> Org:
        name = name.strip()
        if not name:
            raise BadRequest("The organisation needs a name.")
        slug = slug or self._free_slug(name)
        if self.session.scalars(select(Org).where(Org.slug == slug)).first():
            raise OrgSlugTaken(f"The slug '{slug}' is already used by another organisation; choose another.")
        org = Org(name=name, slug=slug)
        self.session.add(org)
        self.session.flush()
        self.session.add(Membership(user_id=creator.id, org_id=org.id, role=Role.admin.value))
        self.session.flush()
        AuditService(self.session).record("org.created", actor=creator, org_id=org.id, target=org.slug, ip=ip)
        return org

    def _free_slug(self, name: str) -> str:
        from pipelines.naming import slugify

        base = slugify(name, max_length=34)
        slug, n = base, 1
        while self.session.scalars(select(Org).where(Org.slug == slug)).first():
            n += 1
            slug = f"{base}-{n}"
        return slug

    def memberships(self, user: User) -> list[tuple[Org, str]]:
        rows = self.session.execute(
            select(Org, Membership.role)
            .join(Membership, Membership.org_id == Org.id)
            .where(Membership.user_id == user.id)
            .order_by(Org.name)
        ).all()
        result = [(org, role) for org, role in rows]
        if user.is_superuser:
            mine = {org.id for org, _ in result}
            result = [(org, Role.super_admin.value) for org, _ in result]
            result += [(org, Role.super_admin.value) for org in self.list_for(user) if org.id not in mine]
            result.sort(key=lambda pair: pair[0].name.lower())
        return result
