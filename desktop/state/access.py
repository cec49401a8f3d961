"""Which role may see or change sources and the warehouse: the UI hides what the server would refuse."""

from __future__ import annotations

from desktop.state import roles

# Mirrors the server's permission table for the data sections; the server stays the judge.
_MIN_ROLE = {
    "sources:read": "analyst",
    "sources:write": "admin",
    "sources:sync": "admin",
    "jobs:cancel": "admin",
    "warehouse:read": "analyst",
    "warehouse:export": "analyst",
}


def may(role: str | None, permission: str) -> bool:
    """Whether `role` may do `permission` (sources:read|write|sync, jobs:cancel, warehouse:read|export)."""
    return roles.level(role) >= roles.LEVELS[_MIN_ROLE[permission]]


def cannot_change(role: str | None) -> str:
    """The tooltip on a disabled button, in words."""
    return f"Your role ({roles.label(role or 'none').lower()}) can look at sources but not change or sync them; ask an admin."
