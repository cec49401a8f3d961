"""Members of an org: list, invite, change role, remove, accept an invitation, admin-issued resets."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from server.audit.service import AuditService
from server.auth.schemas import TokenPair
from server.auth.service import AuthService
from server.core.config import Settings
from server.core.deps import OrgContext
from server.core.permissions import Role, level
from server.core.security import new_invite_code
from server.models import Invitation, Membership, User
from server.models.base import utcnow
from server.users.errors import (
    AlreadyMember,
    InvalidInvitation,
    InvitationPending,
    LastAdmin,
    OwnRoleChange,
    ResetNeedsSuperAdmin,
    RoleTooHigh,
)
from server.users.repository import UsersRepository

_CODE = re.compile(r"^[A-Z0-9]{12}$")


def normalise_invite_code(text: str) -> str:
    """A code as read over the phone ('tqdw xc3h r2qm', 'TQDWXC3HR2QM') → its stored form 'TQDW-XC3H-R2QM'.

    Text that cannot be a code is refused with what a code looks like, not with "already used".
    """
    letters = re.sub(r"[\s\-_.]", "", text).upper()
    if not _CODE.match(letters):
        raise InvalidInvitation(
            "That is not an invitation code: a code has 12 letters and digits, like ABCD-EFGH-JKLM. "
            "Check what you typed."
        )
    return "-".join(letters[i : i + 4] for i in range(0, 12, 4))


class UserService:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.repo = UsersRepository(session)
        self.audit = AuditService(session)

    def list_members(self, ctx: OrgContext) -> list[tuple[Membership, User]]:
        return self.repo.members(ctx.org_id)

    def pending_invitations(self, ctx: OrgContext) -> list[Invitation]:
        return self.repo.pending_invitations(ctx.org_id)

    def _check_level(self, ctx: OrgContext, role: Role | str, verb: str) -> None:
        if level(role) > level(ctx.role):
            raise RoleTooHigh(
                f"You cannot {verb} the role '{Role(role).value}': it is above your own ({ctx.role.value})."
            )

    def invite(self, ctx: OrgContext, email: str, role: Role, ip: str) -> Invitation:
        email = email.lower()
        if role == Role.super_admin:
            raise RoleTooHigh("Super-admin is not an organisation role; use `dalgo admin create-superuser`.")
        self._check_level(ctx, role, "invite with")
        existing = AuthService(self.session, self.settings).user_by_email(email)
        if existing and self.repo.find_membership(ctx.org_id, existing.id):
            raise AlreadyMember(f"{email} is already a member of {ctx.org.name}.")
        if self.repo.pending_for_email(ctx.org_id, email):
            raise InvitationPending(f"{email} already has a pending invitation; cancel it first to send a new one.")
        invitation = Invitation(
            org_id=ctx.org_id,
            email=email,
            role=role.value,
            code=new_invite_code(),
            expires_at=utcnow() + timedelta(days=self.settings.invitation_days),
            invited_by_id=ctx.user.id,
        )
        self.session.add(invitation)
        self.session.flush()
        self.audit.record("user.invited", actor=ctx.user, org_id=ctx.org_id, target=email, ip=ip, role=role.value)
        return invitation

    def cancel_invitation(self, ctx: OrgContext, invitation_id: str, ip: str) -> None:
        invitation = self.repo.invitation(ctx.org_id, invitation_id)
        self.session.delete(invitation)
        self.audit.record("invitation.cancelled", actor=ctx.user, org_id=ctx.org_id, target=invitation.email, ip=ip)

    def accept(self, code: str, password: str, ip: str) -> tuple[TokenPair, Invitation]:
        """Join the org: creates the account when the email is new, else checks the existing password."""
        code = normalise_invite_code(code)
        invitation = self.repo.invitation_by_code(code)
        if invitation is None or invitation.used_at is not None:
            raise InvalidInvitation(
                "This invitation code is not valid or was already used; ask your admin for a new one."
            )
        if invitation.expires_at < utcnow():
            raise InvalidInvitation("This invitation has expired; ask your admin to invite you again.")
        auth = AuthService(self.session, self.settings)
        user = auth.user_by_email(invitation.email)
        if user is None:
            user = auth.create_user(invitation.email, password)
        elif auth.authenticate(invitation.email, password, ip, via="invitation") is None:
            raise InvalidInvitation(
                f"An account for {invitation.email} exists already: enter its current password to accept."
            )
        if self.repo.find_membership(invitation.org_id, user.id) is None:
            self.session.add(Membership(user_id=user.id, org_id=invitation.org_id, role=invitation.role))
        invitation.used_at = utcnow()
        self.session.flush()
        self.audit.record(
            "invitation.accepted", actor=user, org_id=invitation.org_id, target=user.email, ip=ip, role=invitation.role
        )
        return auth.start_session(user, ip), invitation

    def change_role(self, ctx: OrgContext, user_id: str, role: Role, ip: str) -> tuple[Membership, User]:
        membership = self.repo.membership_of(ctx.org_id, user_id)
        if user_id == ctx.user.id:
            raise OwnRoleChange("You cannot change your own role; ask another admin.")
        if role == Role.super_admin:
            raise RoleTooHigh("Super-admin is not an organisation role.")
        self._check_level(ctx, membership.role, "change a member with")
        self._check_level(ctx, role, "give")
        if membership.role == Role.admin.value and role != Role.admin and self.repo.count_admins(ctx.org_id) <= 1:
            raise LastAdmin("This is the last admin of the organisation; make someone else admin first.")
        old = membership.role
        membership.role = role.value
        self.session.flush()
        user = self.session.get(User, user_id)
        assert user is not None
        self.audit.record(
            "user.role_changed", actor=ctx.user, org_id=ctx.org_id, target=user.email, ip=ip, old=old, new=role.value
        )
        return membership, user

    def remove(self, ctx: OrgContext, user_id: str, ip: str) -> None:
        membership = self.repo.membership_of(ctx.org_id, user_id)
        self._check_level(ctx, membership.role, "remove a member with")
        if membership.role == Role.admin.value and self.repo.count_admins(ctx.org_id) <= 1:
            raise LastAdmin("This is the last admin of the organisation and cannot be removed.")
        user = self.session.get(User, user_id)
        self.session.delete(membership)
        self.session.flush()
        self.audit.record(
            "user.removed", actor=ctx.user, org_id=ctx.org_id, target=user.email if user else user_id, ip=ip
        )

    def _check_reset_reach(self, ctx: OrgContext, user: User) -> None:
        """A reset code is a sign-in as that person, so an admin may issue one only within orgs they administer."""
        if user.is_superuser:
            raise RoleTooHigh("Only a super-admin can reset a super-admin's password.")
        issuer = self.repo.roles_across_orgs(ctx.user.id)
        if any(issuer.get(org_id) != Role.admin.value for org_id in self.repo.roles_across_orgs(user.id)):
            raise ResetNeedsSuperAdmin(
                "This person also belongs to another organisation; only a super-admin can reset their password."
            )

    def issue_reset(self, ctx: OrgContext, user_id: str, ip: str) -> tuple[str, User, str]:
        """An admin hands a member a one-time reset code (field offices have no mail server)."""
        membership = self.repo.membership_of(ctx.org_id, user_id)
        self._check_level(ctx, membership.role, "reset the password of a member with")
        user = self.session.get(User, user_id)
        assert user is not None
        if not ctx.user.is_superuser:
            self._check_reset_reach(ctx, user)
        token, row = AuthService(self.session, self.settings).issue_reset_token(user, ctx.user, ctx.org_id, ip)
        return token, user, row.expires_at.isoformat()
