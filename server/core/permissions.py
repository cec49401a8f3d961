"""Roles, levels and named permissions (Dalgo's v2 matrix) in one table."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    super_admin = "super-admin"
    admin = "admin"
    analyst = "analyst"
    member = "member"


LEVELS: dict[Role, int] = {Role.super_admin: 5, Role.admin: 4, Role.analyst: 2, Role.member: 1}
# Roles a membership can hold; super-admin is a user-level flag granted by `dalgo admin create-superuser`.
MEMBERSHIP_ROLES = (Role.admin, Role.analyst, Role.member)


class Permission(StrEnum):
    account = "account:self"  # any signed-in user, about themselves
    orgs_create = "orgs:create"
    org_read = "org:read"
    users_read = "users:read"
    users_manage = "users:manage"
    audit_read = "audit:read"
    sources_read = "sources:read"
    sources_write = "sources:write"
    sources_sync = "sources:sync"
    warehouse_read = "warehouse:read"
    warehouse_export = "warehouse:export"
    warehouse_write = "warehouse:write"
    transforms_read = "transforms:read"
    transforms_preview = "transforms:preview"
    transforms_write = "transforms:write"
    transforms_run = "transforms:run"
    pipelines_read = "pipelines:read"
    pipelines_write = "pipelines:write"
    pipelines_run = "pipelines:run"
    sync_read = "sync:read"
    sync_run = "sync:run"
    charts_read = "charts:read"
    charts_write = "charts:write"
    dashboards_read = "dashboards:read"
    dashboards_write = "dashboards:write"
    jobs_read = "jobs:read"
    jobs_cancel = "jobs:cancel"
    notifications_read = "notifications:read"  # one's own notifications in the org (Dalgo: any signed-in user)
    settings_write = "settings:write"


_MEMBER = {
    Permission.account,
    Permission.org_read,
    Permission.charts_read,
    Permission.dashboards_read,
    Permission.notifications_read,
    Permission.pipelines_read,  # issue 9: members see pipelines and their runs (view only)
}
_ANALYST = _MEMBER | {
    Permission.users_read,
    Permission.sources_read,
    Permission.warehouse_read,
    Permission.warehouse_export,
    Permission.transforms_read,
    Permission.transforms_preview,
    Permission.pipelines_read,
    Permission.sync_read,
    Permission.jobs_read,
    Permission.charts_write,
    Permission.dashboards_write,
}
_ADMIN = set(Permission) - {Permission.orgs_create}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.member: frozenset(_MEMBER),
    Role.analyst: frozenset(_ANALYST),
    Role.admin: frozenset(_ADMIN),
    Role.super_admin: frozenset(Permission),
}


def role_has(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]


def level(role: Role | str) -> int:
    return LEVELS[Role(role)]
