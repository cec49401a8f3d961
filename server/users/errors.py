"""Errors of the users domain."""

from __future__ import annotations

from server.core.errors import BadRequest, Conflict, Forbidden, NotFound


class MemberNotFound(NotFound):
    pass


class InvitationNotFound(NotFound):
    pass


class InvalidInvitation(BadRequest):
    pass


class AlreadyMember(Conflict):
    pass


class InvitationPending(Conflict):
    pass


class RoleTooHigh(Forbidden):
    pass


class LastAdmin(Conflict):
    pass


class OwnRoleChange(Forbidden):
    pass


class ResetNeedsSuperAdmin(Forbidden):
    pass
