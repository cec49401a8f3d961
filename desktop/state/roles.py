"""Roles as the desktop needs them: levels, what each may do in the UI, and words to explain them."""

from __future__ import annotations

from desktop.state import words

LEVELS = {"super-admin": 5, "admin": 4, "analyst": 2, "member": 1}
ORG_ROLES = ("admin", "analyst", "member")

# Only what this version can do: charts and dashboards are not built yet, so no role is described by them.
DESCRIPTIONS = {
    "super-admin": "Everything an admin does, in every organisation, and creates new organisations.",
    "admin": "Runs the organisation: adds and syncs sources, browses, cleans and exports data, runs pipelines, "
    "and invites users.",
    "analyst": "Looks at sources, browses and exports data, and tries out cleaning recipes; "
    "cannot change or sync sources, or save recipes.",
    "member": "Sees the organisation's pipelines and how their runs went. Viewing charts and dashboards comes "
    "in a later version; to let someone see the data today, make them an analyst.",
}


def level(role: str | None) -> int:
    return LEVELS.get(role or "", 0)


def assignable(role: str | None) -> list[str]:
    """Org roles someone with `role` may give: never above their own."""
    return [r for r in ORG_ROLES if level(r) <= level(role)]


def label(role: str | None) -> str:
    return words.role_name(role)
