"""Roles as the desktop needs them: levels, what each may do in the UI, and words to explain them."""

from __future__ import annotations

LEVELS = {"super-admin": 5, "admin": 4, "analyst": 2, "member": 1}
ORG_ROLES = ("admin", "analyst", "member")

DESCRIPTIONS = {
    "super-admin": "Everything, in every organisation, including creating organisations.",
    "admin": "Runs the organisation: sources, pipelines, warehouse, users and settings.",
    "analyst": "Sees all data; builds charts and dashboards. Pipelines and sources are view-only.",
    "member": "Views shared charts and dashboards only.",
}


def level(role: str | None) -> int:
    return LEVELS.get(role or "", 0)


def assignable(role: str | None) -> list[str]:
    """Org roles someone with `role` may give: never above their own."""
    return [r for r in ORG_ROLES if level(r) <= level(role)]


def label(role: str) -> str:
    return role.replace("-", " ").capitalize()
