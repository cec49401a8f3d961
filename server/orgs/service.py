"""Orgs: create (creator becomes admin), list the caller's orgs and memberships."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.audit.service import AuditService
from server.core.permissions import Role
from server.models import Org, User
from server.orgs.errors import OrgNameMissing, OrgSlugTaken
from server.orgs.repository import OrgsRepository

__all__ = ["OrgService", "OrgSlugTaken"]


class OrgService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._repo = OrgsRepository(session)

    def list_for(self, user: User) -> list[Org]:
        """Orgs the user belongs to; a super-admin sees every org."""
        if user.is_superuser:
            return self._repo.all()
        return [org for org, _role in self._repo.of_user(user.id)]

    def create(self, name: str, creator: User, slug: str | None = None, ip: str | None = None) -> Org:
        name = name.strip()
        if not name:
            raise OrgNameMissing("The organisation needs a name.")
        slug = slug or self._free_slug(name)
        if self._repo.slug_taken(slug):
            raise OrgSlugTaken(f"The slug '{slug}' is already used by another organisation; choose another.")
        org = self._repo.add(Org(name=name, slug=slug), creator.id, Role.admin.value)
        AuditService(self.session).record("org.created", actor=creator, org_id=org.id, target=org.slug, ip=ip)
        return org

    def _free_slug(self, name: str) -> str:
        from pipelines.naming import slugify

        base = slugify(name, max_length=34)
        slug, n = base, 1
        while self._repo.slug_taken(slug):
            n += 1
            slug = f"{base}-{n}"
        return slug

    def memberships(self, user: User) -> list[tuple[Org, str]]:
        """(org, role) for each org the user acts in; a super-admin acts as super-admin in every org."""
        result = self._repo.of_user(user.id)
        if user.is_superuser:
            result = [(org, Role.super_admin.value) for org in self._repo.all()]
            result.sort(key=lambda pair: pair[0].name.lower())
        return result
