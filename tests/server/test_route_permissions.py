"""Every route declares its permission; only a short explicit allowlist is public."""

from __future__ import annotations

from fastapi import FastAPI

from server.core.deps import PUBLIC_ROUTES
from server.core.routes import iter_api_routes

DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_every_route_declares_a_permission_or_is_on_the_public_allowlist(sqlite_only_app: FastAPI) -> None:
    undeclared = []
    for info in iter_api_routes(sqlite_only_app):
        perms = info.permissions()
        if info.path in PUBLIC_ROUTES:
            assert not perms, f"{info.path} is public but declares {perms}"
        elif len(perms) != 1:
            undeclared.append(f"{sorted(info.methods)} {info.path}: {perms or 'no permission'}")
    assert undeclared == [], "routes without exactly one permission dependency:\n" + "\n".join(undeclared)


def test_public_allowlist_stays_short_and_exists(sqlite_only_app: FastAPI) -> None:
    paths = {info.path for info in iter_api_routes(sqlite_only_app)}
    assert paths >= PUBLIC_ROUTES, f"allowlisted paths that no longer exist: {PUBLIC_ROUTES - paths}"
    assert len(PUBLIC_ROUTES) <= 8


def test_the_walk_sees_every_registered_route(sqlite_only_app: FastAPI) -> None:
    """Guard the guard: the walk must find what the OpenAPI document lists."""
    walked = {info.path for info in iter_api_routes(sqlite_only_app)}
    documented = set(sqlite_only_app.openapi()["paths"])
    assert documented - DOCS <= walked
    assert len(walked) > 15
