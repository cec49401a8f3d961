"""Request dependencies: settings, DB session, current user, org context and permission checks.

Every route depends on exactly one of `require(...)`, `require_account()` or `require_global(...)`,
or is in PUBLIC_ROUTES; tests/server/test_route_permissions.py enforces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.db import session_scope
from server.core.errors import Forbidden, NotFound, Unauthorized
from server.core.permissions import Permission, Role, role_has
from server.core.security import decode_access_token
from server.models import AuthSession, Membership, Org, User

PUBLIC_ROUTES = {
    "/health",
    "/api/v1/health",
    "/api/v1/setup",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/request",
    "/api/v1/invitations/accept",
}
ORG_HEADER = "X-Dalgo-Org"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the endpoint returns, rolled back on error."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Sign in first: this request carries no access token.")
    return token


def get_current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The signed-in user, from a valid, unexpired access token whose session is not revoked."""
    try:
        claims = decode_access_token(settings.resolved_secret_key(), _bearer(request))
    except jwt.ExpiredSignatureError as err:
        raise Unauthorized("Your sign-in has expired; refresh the token or sign in again.") from err
    except jwt.InvalidTokenError as err:
        raise Unauthorized("The access token is not valid; sign in again.") from err
    auth_session = session.get(AuthSession, claims["sid"])
    if auth_session is None or auth_session.revoked_at is not None:
        raise Unauthorized("This sign-in was ended (logged out or password changed); sign in again.")
    user = session.get(User, claims["sub"])
    if user is None or not user.is_active:
        raise Unauthorized("This account no longer exists or is disabled.")
    request.state.session_id = auth_session.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@dataclass
class OrgContext:
    """Who is acting, in which org, with which effective role."""

    org: Org
    user: User
    role: Role

    @property
    def org_id(self) -> str:
        return self.org.id


def get_org_context(
    session: SessionDep,
    user: CurrentUser,
    x_dalgo_org: Annotated[str | None, Header(alias=ORG_HEADER)] = None,
) -> OrgContext:
    """Resolve the X-Dalgo-Org header against the caller's memberships (super-admins act in any org)."""
    if not x_dalgo_org:
        raise NotFound(f"Choose an organisation: send its slug in the {ORG_HEADER} header.")
    org = session.scalars(select(Org).where(Org.slug == x_dalgo_org)).first()
    membership = None
    if org is not None:
        membership = session.scalars(
            select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id)
        ).first()
    if org is None or (membership is None and not user.is_superuser):
        # The same answer for "no such org" and "not yours", so slugs of other tenants do not leak.
        raise NotFound(f"No organisation '{x_dalgo_org}' among yours.")
    role = Role.super_admin if user.is_superuser else Role(membership.role)  # type: ignore[union-attr]
    return OrgContext(org=org, user=user, role=role)


def require(permission: Permission) -> Callable[..., Any]:
    """Dependency for an org-scoped route: the caller's role in the header's org must grant `permission`."""

    def dependency(ctx: Annotated[OrgContext, Depends(get_org_context)]) -> OrgContext:
        if not role_has(ctx.role, permission):
            raise Forbidden(f"Your role ({ctx.role.value}) in {ctx.org.name} does not allow this ({permission.value}).")
        return ctx

    dependency.__dalgo_permission__ = permission  # type: ignore[attr-defined]
    return dependency


def require_account() -> Callable[..., Any]:
    """Dependency for routes about the caller themself; any signed-in user passes."""

    def dependency(user: CurrentUser) -> User:
        return user

    dependency.__dalgo_permission__ = Permission.account  # type: ignore[attr-defined]
    return dependency


def require_global(permission: Permission) -> Callable[..., Any]:
    """Dependency for routes outside any org (creating orgs): only super-admins hold these."""

    def dependency(user: CurrentUser) -> User:
        if not user.is_superuser:
            raise Forbidden(f"Only a super-admin may do this ({permission.value}).")
        return user

    dependency.__dalgo_permission__ = permission  # type: ignore[attr-defined]
    return dependency


AccountUser = Annotated[User, Depends(require_account())]
