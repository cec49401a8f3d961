"""Queries for members and invitations; all scoped to one org through server.core.tenancy."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.permissions import Role
from server.core.tenancy import get_scoped, scoped
from server.models import Invitation, Membership, User
from server.models.base import utcnow
from server.users.errors import InvitationNotFound, MemberNotFound


class UsersRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def members(self, org_id: str) -> list[tuple[Membership, User]]:
        stmt = scoped(select(Membership, User).join(User, User.id == Membership.user_id), Membership, org_id)
        return [(row[0], row[1]) for row in self.session.execute(stmt.order_by(User.email)).all()]

    def membership_of(self, org_id: str, user_id: str) -> Membership:
        stmt = scoped(select(Membership), Membership, org_id).where(Membership.user_id == user_id)
        row = self.session.scalars(stmt).first()
        if row is None:
            raise MemberNotFound(f"No member with id {user_id} in this organisation.")
        return row

    def find_membership(self, org_id: str, user_id: str) -> Membership | None:
        stmt = scoped(select(Membership), Membership, org_id).where(Membership.user_id == user_id)
        return self.session.scalars(stmt).first()

    def roles_across_orgs(self, user_id: str) -> dict[str, str]:
        """org id → role for every membership of one person; deliberately unscoped, to decide cross-org rules."""
        stmt = select(Membership.org_id, Membership.role).where(Membership.user_id == user_id)
        return {org_id: role for org_id, role in self.session.execute(stmt).all()}

    def count_admins(self, org_id: str) -> int:
        stmt = scoped(select(func.count()).select_from(Membership), Membership, org_id).where(
            Membership.role == Role.admin.value
        )
        return self.session.scalar(stmt) or 0

    def pending_invitations(self, org_id: str) -> list[Invitation]:
        stmt = scoped(select(Invitation), Invitation, org_id).where(
            Invitation.used_at.is_(None), Invitation.expires_at > utcnow()
        )
        return list(self.session.scalars(stmt.order_by(Invitation.created_at.desc())).all())

    def pending_for_email(self, org_id: str, email: str) -> Invitation | None:
        return next((i for i in self.pending_invitations(org_id) if i.email == email.lower()), None)

    def invitation(self, org_id: str, invitation_id: str) -> Invitation:
        return get_scoped(self.session, Invitation, invitation_id, org_id, InvitationNotFound)

    def invitation_by_code(self, code: str) -> Invitation | None:
        """Codes are the one unscoped lookup: the person accepting has no org yet; the code is the secret."""
        return self.session.scalars(select(Invitation).where(Invitation.code == code.strip().upper())).first()
