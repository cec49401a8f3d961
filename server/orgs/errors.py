"""Errors of the orgs domain."""

from __future__ import annotations

from server.core.errors import BadRequest, Conflict


class OrgSlugTaken(Conflict):
    pass


class OrgNameMissing(BadRequest):
    pass
