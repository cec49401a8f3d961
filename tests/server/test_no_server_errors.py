"""Inputs that used to crash a request (500) now answer 4xx in the app's error shape, and nothing changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.core.routes import iter_api_routes
from tests.server.factories import Actor, Api

# A valid body for each recipe route that takes one, so the only thing wrong is the recipe id.
BODIES: dict[str, dict[str, Any]] = {
    "/steps": {"op": "trim", "config": {"columns": ["city"]}},
    "/steps/{step_id}": {"enabled": False},
    "/steps/{step_id}/move": {"position": 0},
    "/clusters/accept": {"column": "city", "merges": [{"values": ["a", "A"], "value": "A"}]},
    "": {"name": "Renamed"},
}
QUERY = {"/facet": {"column": "city"}, "/clusters": {"column": "city"}, "/date-formats": {"column": "surveyed_on"}}


@pytest.fixture
def api(sqlite_only_app: FastAPI) -> Any:
    with TestClient(sqlite_only_app, raise_server_exceptions=False) as client:
        yield Api(client)


def _recipe(api: Api, admin: Actor) -> dict[str, Any]:
    r = api.client.post(
        "/api/v1/recipes",
        json={"name": "Clean villages", "input": {"schema": "raw_villages", "table": "villages"}},
        headers=admin.headers(),
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_cluster_merge_with_a_list_or_object_value_is_a_422_and_the_recipe_is_unchanged(api: Api) -> None:
    admin = api.setup()
    recipe = _recipe(api, admin)
    for merge in ({"values": [["a"], "b"], "value": "b"}, {"values": ["a", "b"], "value": {"x": 1}}):
        r = api.client.post(
            f"/api/v1/recipes/{recipe['id']}/clusters/accept",
            json={"column": "city", "merges": [merge]},
            headers=admin.headers(),
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "ValidationError" and "merges.0" in r.json()["detail"]
    after = api.client.get(f"/api/v1/recipes/{recipe['id']}", headers=admin.headers()).json()
    assert after["steps"] == [] and after["can_undo"] is False


def test_every_recipe_route_answers_404_for_a_recipe_that_does_not_exist(api: Api, sqlite_only_app: FastAPI) -> None:
    admin = api.setup()
    checked = []
    for info in iter_api_routes(sqlite_only_app):
        if not info.path.startswith("/api/v1/recipes/{recipe_id}"):
            continue
        rest = info.path.removeprefix("/api/v1/recipes/{recipe_id}")
        url = "/api/v1/recipes/no-such-recipe" + rest.replace("{step_id}", "no-such-step")
        for method in info.methods - {"HEAD"}:
            body = BODIES.get(rest) if method in ("POST", "PATCH", "PUT") else None
            r = api.client.request(method, url, json=body, params=QUERY.get(rest), headers=admin.headers())
            assert r.status_code == 404, f"{method} {info.path}: {r.status_code} {r.text}"
            assert r.json()["error"] == "RecipeNotFound"
            checked.append(f"{method} {info.path}")
    assert len(checked) >= 15, checked
    # the recipe is looked up before the merges are: no "nothing to merge" (400) about a recipe that is not there
    r = api.client.post(
        "/api/v1/recipes/no-such-recipe/clusters/accept",
        json={"column": "city", "merges": [{"values": ["A"], "value": "A"}]},
        headers=admin.headers(),
    )
    assert (r.status_code, r.json()["error"]) == (404, "RecipeNotFound"), r.text


@pytest.mark.parametrize("path", ["/api/v1/jobs", "/api/v1/audit"])
def test_an_offset_past_what_a_database_holds_is_a_clear_422(api: Api, path: str) -> None:
    admin = api.setup()
    for offset in (2**63, 2**64 + 1):
        r = api.client.get(path, params={"offset": offset}, headers=admin.headers())
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "ValidationError"
        assert re.search(r"offset: .*less than or equal to", r.json()["detail"])
    assert api.client.get(path, params={"offset": 10**12}, headers=admin.headers()).json()["items"] == []


def test_a_wrong_method_is_a_405_that_says_which_methods_are_allowed(api: Api) -> None:
    admin = api.setup()
    r = api.client.put("/api/v1/me", headers=admin.headers())
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    assert r.json()["error"] == "MethodNotAllowed"
