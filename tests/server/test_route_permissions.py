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


def test_every_route_has_a_typed_answer_in_the_document(sqlite_only_app: FastAPI) -> None:
    """JSON routes name a pydantic response model; files and images are documented as such, never as JSON."""
    from fastapi.datastructures import DefaultPlaceholder
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel

    untyped = []
    for info in iter_api_routes(sqlite_only_app):
        route = info.route
        model = route.response_model
        typed = isinstance(model, type) and issubclass(model, BaseModel)
        union = getattr(model, "__args__", None) and all(issubclass(a, BaseModel) for a in model.__args__)
        no_body = route.status_code == 204
        cls = route.response_class
        cls = cls.value if isinstance(cls, DefaultPlaceholder) else cls
        documented_other_media = cls is not JSONResponse and 200 in route.responses
        if not (typed or union or no_body or documented_other_media):
            untyped.append(f"{sorted(info.methods)} {info.path}: {model}")
    assert untyped == []
    paths = sqlite_only_app.openapi()["paths"]
    png = paths["/api/v1/transforms/lineage.png"]["get"]["responses"]["200"]["content"]
    assert list(png) == ["image/png"]


def test_the_documented_error_shape_is_the_one_the_app_sends(sqlite_only_app: FastAPI) -> None:
    doc = sqlite_only_app.openapi()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422"):
                if path.startswith("/api/v1/") and path != "/api/v1/health":
                    ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), f"{method} {path} {status}"
