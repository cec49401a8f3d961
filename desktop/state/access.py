"""What the signed-in user may do in the active org: read from the permissions the server sent with /me.

The desktop keeps no copy of the role table: the UI hides what the server would refuse, and the server,
which checks every route, stays the judge.
"""

from __future__ import annotations

from desktop.client.models import Membership
from desktop.state import roles


def may(membership: Membership | None, permission: str) -> bool:
    """Whether the membership's permissions (as /me listed them) include `permission`, e.g. "sources:write"."""
    return membership is not None and permission in membership.permissions


def cannot_change(role: str | None) -> str:
    """The tooltip on a disabled button, in words."""
    return f"Your role ({roles.label(role).lower()}) can look at sources but not change or sync them; ask an admin."
