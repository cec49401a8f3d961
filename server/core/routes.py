"""Enumerate the app's API routes with their full paths (FastAPI 0.150 keeps included routers lazily)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    route: APIRoute

    def permissions(self) -> set[Any]:
        """Permissions declared by `require*` dependencies anywhere in the route's dependency tree."""
        found: set[Any] = set()
        stack = list(self.route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            marker = getattr(dep.call, "__dalgo_permission__", None)
            if marker is not None:
                found.add(marker)
            stack.extend(dep.dependencies)
        return found


def iter_api_routes(app: FastAPI) -> Iterator[RouteInfo]:
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield RouteInfo(route.path, frozenset(route.methods or ()), route)
        elif hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                original = ctx.original_route
                if isinstance(original, APIRoute):
                    path = ctx.path or getattr(ctx.starlette_route, "path", original.path)
                    yield RouteInfo(path, frozenset(original.methods or ()), original)
