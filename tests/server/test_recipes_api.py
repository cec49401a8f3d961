"""Recipes and dbt transforms through the HTTP API, on a CSV loaded by a real sync, run by real dbt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.server.factories import Actor, Api
from tests.server.test_sources_api import wait_for_job

CSV = (
    "id,city,district,households,surveyed_on\n"
    "1,Bengaluru , North,12,01/02/2024\n"
    "2,bengaluru,North,7,02/02/2024\n"
    "3,BENGALURU,South,3,03/02/2024\n"
    "4,Mysuru,South,9,04/02/2024\n"
    "5,Bangalore,North,4,05/02/2024\n"
)


@pytest.fixture
def api(sqlite_only_app: FastAPI) -> Any:
    with TestClient(sqlite_only_app) as client:
        yield Api(client)


def load_csv(api: Api, admin: Actor, text: str = CSV) -> str:
    """Upload, create a CSV source, discover and sync it; returns the raw schema name."""
    upload = api.client.post(
        "/api/v1/uploads", files={"file": ("villages.csv", text.encode())}, headers=admin.headers()
    ).json()
    source = api.client.post(
        "/api/v1/sources",
        json={"name": "Villages", "type": "csv", "config": {"upload_id": upload["id"]}},
        headers=admin.headers(),
    ).json()
    api.client.post(f"/api/v1/sources/{source['id']}/discover", headers=admin.headers()).raise_for_status()
    job = wait_for_job(
        api, admin, api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers()).json()["job_id"]
    )
    assert job["status"] == "succeeded", job
    schema: str = source["schema_name"]
    return schema


def new_recipe(api: Api, admin: Actor, schema: str, name: str = "Clean villages") -> dict[str, Any]:
    tables = api.client.get("/api/v1/warehouse/tables", headers=admin.headers(), params={"schema": schema}).json()[
        "items"
    ]
    r = api.client.post(
        "/api/v1/recipes",
        json={"name": name, "input": {"schema": schema, "table": tables[0]["name"]}},
        headers=admin.headers(),
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def add(api: Api, admin: Actor, recipe: dict[str, Any], op: str, config: dict[str, Any]) -> dict[str, Any]:
    r = api.client.post(
        f"/api/v1/recipes/{recipe['id']}/steps", json={"op": op, "config": config}, headers=admin.headers()
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_operations_catalogue_has_schemas(api: Api) -> None:
    admin = api.setup()
    items = api.client.get("/api/v1/recipes/operations", headers=admin.headers()).json()["items"]
    ops = {i["op"] for i in items}
    assert {"trim", "mass_edit", "join", "pivot", "group_by", "raw_sql", "deduplicate", "parse_dates"} <= ops
    assert all(i["config_schema"]["type"] == "object" for i in items)


def test_clean_preview_cluster_undo_save_run_and_lineage(api: Api) -> None:
    admin = api.setup()
    schema = load_csv(api, admin)
    recipe = new_recipe(api, admin, schema)
    recipe = add(api, admin, recipe, "trim", {"columns": ["city"]})
    assert recipe["steps"][0]["description"].lower().startswith("trim")
    preview = api.client.get(f"/api/v1/recipes/{recipe['id']}/preview", headers=admin.headers()).json()
    assert preview["total"] == 5 and "Bengaluru" in [r[1] for r in preview["rows"]]

    clusters = api.client.get(
        f"/api/v1/recipes/{recipe['id']}/clusters", params={"column": "city"}, headers=admin.headers()
    ).json()["items"]
    assert len(clusters) == 1 and {v[0] for v in clusters[0]["values"]} == {"Bengaluru", "bengaluru", "BENGALURU"}
    merge = {"column": "city", "merges": [{"values": [v[0] for v in clusters[0]["values"]], "value": "Bengaluru"}]}
    recipe = api.client.post(
        f"/api/v1/recipes/{recipe['id']}/clusters/accept", json=merge, headers=admin.headers()
    ).json()
    assert "Bengaluru" in recipe["steps"][-1]["description"]
    facet = api.client.get(
        f"/api/v1/recipes/{recipe['id']}/facet", params={"column": "city"}, headers=admin.headers()
    ).json()
    assert {v["value"]: v["count"] for v in facet["values"]}["Bengaluru"] == 3

    recipe = add(
        api,
        admin,
        recipe,
        "group_by",
        {
            "group_by": ["city"],
            "aggregates": [{"function": "sum", "column": "households", "output_column": "households"}],
        },
    )
    undone = api.client.post(f"/api/v1/recipes/{recipe['id']}/undo", headers=admin.headers()).json()
    assert len(undone["steps"]) == 2 and undone["can_redo"]
    recipe = api.client.post(f"/api/v1/recipes/{recipe['id']}/redo", headers=admin.headers()).json()
    assert len(recipe["steps"]) == 3

    saved = api.client.post(f"/api/v1/recipes/{recipe['id']}/save", headers=admin.headers()).json()
    assert saved["name"] == "clean_villages" and "source(" in saved["sql"] and saved["path"].endswith(".sql")
    job = wait_for_job(
        api,
        admin,
        api.client.post("/api/v1/transforms/run", json={"select": ["clean_villages"]}, headers=admin.headers()).json()[
            "job_id"
        ],
        timeout=180,
    )
    assert job["status"] == "succeeded", job
    node = next(n for n in job["result"]["nodes"] if n["name"] == "clean_villages")
    assert node["status"] == "success"
    rows = api.client.get(
        "/api/v1/warehouse/tables/analytics/clean_villages/rows", params={"sort": "city"}, headers=admin.headers()
    ).json()
    assert [r[0] for r in rows["rows"]] == ["Bangalore", "Bengaluru", "Mysuru"]
    assert [r[1] for r in rows["rows"]] == [4, 22, 9]

    models = api.client.get("/api/v1/transforms/models", headers=admin.headers()).json()["items"]
    mine = next(m for m in models if m["name"] == "clean_villages")
    assert mine["kind"] == "recipe" and mine["recipe_id"] == recipe["id"] and mine["last_run"]["status"] == "success"
    lineage = api.client.get(
        "/api/v1/transforms/lineage", params={"node": "clean_villages"}, headers=admin.headers()
    ).json()
    assert lineage["upstream"] and any(n["kind"] == "source" for n in lineage["nodes"])
    png = api.client.get("/api/v1/transforms/lineage.png", headers=admin.headers())
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"


def test_sql_models_eject_and_tests(api: Api) -> None:
    admin = api.setup()
    schema = load_csv(api, admin)
    recipe = new_recipe(api, admin, schema, name="Villages base")
    add(api, admin, recipe, "trim", {"columns": ["city"]})
    ejected = api.client.post(f"/api/v1/recipes/{recipe['id']}/eject", headers=admin.headers()).json()
    assert ejected["path"].startswith("models/sql/")
    again = api.client.post(
        f"/api/v1/recipes/{recipe['id']}/steps",
        json={"op": "trim", "config": {"columns": ["city"]}},
        headers=admin.headers(),
    )
    assert again.status_code == 409 and again.json()["error"] == "RecipeEjected"

    sql = "select city, count(*) as n from {{ ref('villages_base') }} group by city"
    created = api.client.post(
        "/api/v1/transforms/models", json={"name": "city_counts", "sql": sql}, headers=admin.headers()
    )
    assert created.status_code == 201, created.text
    job = wait_for_job(
        api, admin, api.client.post("/api/v1/transforms/run", headers=admin.headers()).json()["job_id"], timeout=180
    )
    assert job["status"] == "succeeded", job
    assert {n["name"] for n in job["result"]["nodes"]} >= {"villages_base", "city_counts"}

    broken = api.client.put(
        "/api/v1/transforms/models/city_counts",
        json={"sql": "select city,, from {{ ref('villages_base') }}"},
        headers=admin.headers(),
    )
    assert broken.status_code == 200
    job = wait_for_job(
        api,
        admin,
        api.client.post("/api/v1/transforms/run", json={"select": ["city_counts"]}, headers=admin.headers()).json()[
            "job_id"
        ],
        timeout=180,
    )
    assert job["status"] == "failed", job
    assert "city_counts" in job["error"] and "line" in job["error"]
    assert [n["status"] for n in job["result"]["nodes"] if n["name"] == "city_counts"] == ["error"]
    rows = api.client.get("/api/v1/warehouse/tables/analytics/city_counts/rows", headers=admin.headers()).json()
    assert rows["total"] == 5  # the failed run kept the previous table (5 spellings before any merge)


def test_bad_steps_are_refused_or_reported_without_breaking_the_recipe(api: Api, tmp_path: Path) -> None:
    admin = api.setup()
    schema = load_csv(api, admin)
    recipe = new_recipe(api, admin, schema)
    r = api.client.post(
        f"/api/v1/recipes/{recipe['id']}/steps", json={"op": "trim", "config": {}}, headers=admin.headers()
    )
    assert r.status_code == 400 and "columns" in r.json()["detail"]
    r = api.client.post(
        f"/api/v1/recipes/{recipe['id']}/steps",
        json={"op": "raw_sql", "config": {"sql": "DELETE FROM _prev"}},
        headers=admin.headers(),
    )
    assert r.status_code == 400
    r = api.client.post(
        f"/api/v1/recipes/{recipe['id']}/steps", json={"op": "explode", "config": {}}, headers=admin.headers()
    )
    assert r.status_code == 400 and "unknown operation" in r.json()["detail"]
    recipe = add(api, admin, recipe, "drop_columns", {"columns": ["city"]})
    recipe = add(api, admin, recipe, "trim", {"columns": ["city"]})
    problems = recipe["problems"]
    assert problems and problems[0]["step"] == 2 and problems[0]["column"] == "city"
    opened = api.client.get(f"/api/v1/recipes/{recipe['id']}", headers=admin.headers())
    assert opened.status_code == 200 and len(opened.json()["steps"]) == 2
    taken = api.client.post(
        "/api/v1/recipes",
        json={"name": "Clean villages", "input": {"schema": schema, "table": "villages"}},
        headers=admin.headers(),
    )
    assert taken.status_code == 409


def test_analyst_previews_but_cannot_edit_or_run(api: Api) -> None:
    admin = api.setup()
    schema = load_csv(api, admin)
    recipe = new_recipe(api, admin, schema)
    analyst = api.add_member(admin, "an@example.org", "analyst")
    assert api.client.get(f"/api/v1/recipes/{recipe['id']}/preview", headers=analyst.headers()).status_code == 200
    assert (
        api.client.post(
            f"/api/v1/recipes/{recipe['id']}/steps",
            json={"op": "trim", "config": {"columns": ["city"]}},
            headers=analyst.headers(),
        ).status_code
        == 403
    )
    assert api.client.post("/api/v1/transforms/run", headers=analyst.headers()).status_code == 403


def test_a_recipe_cycle_is_reported_and_not_saved(api: Api) -> None:
    admin = api.setup()
    schema = load_csv(api, admin)
    first = new_recipe(api, admin, schema, name="Stage one")
    second = api.client.post(
        "/api/v1/recipes",
        json={"name": "Stage two", "input": {"kind": "model", "model": "stage_one"}},
        headers=admin.headers(),
    ).json()
    join = {"right": {"kind": "model", "model": "stage_two"}, "on": [{"left": "id", "right": "id"}], "how": "left"}
    r = api.client.post(
        f"/api/v1/recipes/{first['id']}/steps", json={"op": "join", "config": join}, headers=admin.headers()
    )
    assert r.status_code == 201, r.text
    assert any("depends on itself" in p["message"] for p in r.json()["problems"])
    saved = api.client.post(f"/api/v1/recipes/{first['id']}/save", headers=admin.headers())
    assert saved.status_code == 400 and "depends on itself" in saved.json()["detail"]
    assert second["id"]


def test_facet_selections_filter_the_preview_but_not_the_recipe(api: Api) -> None:
    admin = api.setup()
    schema = load_csv(api, admin)
    recipe = add(api, admin, new_recipe(api, admin, schema), "trim", {"columns": ["city"]})
    url = f"/api/v1/recipes/{recipe['id']}"

    def preview(filters: list[dict[str, Any]], **params: Any) -> Any:
        return api.client.get(
            f"{url}/preview", params={"filters": json.dumps(filters), **params}, headers=admin.headers()
        )

    by_city = preview([{"column": "city", "op": "in", "value": ["Mysuru", "Bengaluru"]}]).json()
    city = [c["name"] for c in by_city["columns"]].index("city")
    assert by_city["total"] == 2 and sorted(r[city] for r in by_city["rows"]) == ["Bengaluru", "Mysuru"]
    assert by_city["filters"] == [{"column": "city", "op": "in", "value": ["Mysuru", "Bengaluru"]}]
    assert by_city["upto"] == 1 and by_city["sampled"] is False and by_city["warnings"] == []

    in_range = preview([{"column": "households", "op": "between", "value": [3, 9]}], limit=2).json()
    assert in_range["total"] == 4 and len(in_range["rows"]) == 2  # 7, 3, 9 and 4; a page of 2
    both = [
        {"column": "households", "op": "between", "value": [3, 9]},
        {"column": "district", "op": "in", "value": ["South"]},
    ]
    assert preview(both).json()["total"] == 2
    assert preview([{"column": "city", "op": "in", "value": ["Bengaluru "]}], upto=0).json()["total"] == 1

    # A text facet's counts follow the other facets' selections.
    facet = api.client.get(
        f"{url}/facet",
        params={"column": "city", "filters": json.dumps(both)},
        headers=admin.headers(),
    ).json()
    assert {v["value"]: v["count"] for v in facet["values"]} == {"BENGALURU": 1, "Mysuru": 1}

    bad = preview([{"column": "nope", "op": "in", "value": ["x"]}])
    assert bad.status_code == 400 and "'nope'" in bad.json()["detail"]
    unfit = preview([{"column": "households", "op": "between", "value": ["many", 9]}])
    assert unfit.status_code == 400, unfit.text

    after = api.client.get(url, headers=admin.headers()).json()
    assert (
        after["steps"] == recipe["steps"] and after["can_redo"] is False and after["updated_at"] == recipe["updated_at"]
    )
    assert api.client.get(f"{url}/preview", headers=admin.headers()).json()["total"] == 5
