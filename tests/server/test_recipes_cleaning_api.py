"""Recipes API for the field test's cleaning: nearest-neighbour clusters with a method and radius, and the
date formats found in a column."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.server.factories import Api
from tests.server.test_recipes_api import load_csv, new_recipe

CSV = "id,village,survey_date\n" + "".join(
    f"{i},{v},{d}\n"
    for i, (v, d) in enumerate(
        [("Rampur", "31/12/2024"), ("Rampur", "15/01/2025"), ("Raampur", "2024-12-31"), ("Ramapur", "05/15/2025"),
         ("Kibera", "03/04/2024"), ("Kibera", "31-Dec-2024"), ("Kiberra", "45657"), ("Sitapur", "unknown"),
         ("Seetapur", ""), ("Mathare", "31.12.2024")]
    )
)  # fmt: skip


@pytest.fixture
def api(sqlite_only_app: FastAPI) -> Any:
    with TestClient(sqlite_only_app) as client:
        yield Api(client)


def test_cluster_method_and_radius(api: Api) -> None:
    admin = api.setup()
    recipe = new_recipe(api, admin, load_csv(api, admin, CSV))
    url = f"/api/v1/recipes/{recipe['id']}/clusters"

    def found(**params: Any) -> list[set[str]]:
        r = api.client.get(url, params={"column": "village", **params}, headers=admin.headers())
        assert r.status_code == 200, r.text
        return [{v[0] for v in c["values"]} for c in r.json()["items"]]

    assert found() == []  # fingerprint: every spelling differs in letters
    assert found(method="levenshtein") == [{"Rampur", "Raampur", "Ramapur"}, {"Kibera", "Kiberra"}]
    assert {"Sitapur", "Seetapur"} in found(method="levenshtein", radius=2)
    assert {"Sitapur", "Seetapur"} in found(method="phonetic")
    bad = api.client.get(
        url, params={"column": "village", "method": "levenshtein", "radius": 0}, headers=admin.headers()
    )
    assert bad.status_code == 400 and "between 1 and 3" in bad.json()["detail"]
    unknown = api.client.get(url, params={"column": "village", "method": "soundex"}, headers=admin.headers())
    assert unknown.status_code == 422


def test_detected_date_formats(api: Api) -> None:
    admin = api.setup()
    recipe = new_recipe(api, admin, load_csv(api, admin, CSV))
    url = f"/api/v1/recipes/{recipe['id']}/date-formats"
    r = api.client.get(url, params={"column": "survey_date"}, headers=admin.headers())
    assert r.status_code == 200, r.text
    body = r.json()
    by = {f["format"]: f for f in body["formats"]}
    assert {"dd/mm/yyyy", "mm/dd/yyyy", "yyyy-mm-dd", "dd.mm.yyyy", "dd-mon-yyyy", "excel"} <= set(by)
    assert by["dd/mm/yyyy"]["rows"] == 3 and by["excel"]["samples"] == [["45657", "2024-12-31"]]
    assert body["unread_rows"] == 1 and "dd/mm" in body["ambiguous"]
    missing = api.client.get(url, params={"column": "nope"}, headers=admin.headers())
    assert missing.status_code == 400 and "nope" in missing.json()["detail"]
