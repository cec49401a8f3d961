"""The sources list carries a summary per source; the catalog (possibly thousands of columns) only in its detail."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.server.factories import Api
from tests.server.test_sources_api import wait_for_job

WIDE = ",".join(f"c{i}" for i in range(300)) + "\n" + ",".join(str(i) for i in range(300)) + "\n"


@pytest.fixture
def api(app: FastAPI) -> Any:
    with TestClient(app) as client:
        yield Api(client)


def test_list_has_counts_and_last_sync_but_no_catalog(api: Api) -> None:
    admin = api.setup()
    h = admin.headers()
    upload = api.client.post("/api/v1/uploads", files={"file": ("wide.csv", WIDE.encode())}, headers=h).json()
    source = api.client.post(
        "/api/v1/sources", json={"name": "Wide", "type": "csv", "config": {"upload_id": upload["id"]}}, headers=h
    ).json()
    assert source["stream_count"] is None and source["catalog"] is None
    api.client.post(f"/api/v1/sources/{source['id']}/discover", headers=h).raise_for_status()
    job = wait_for_job(api, admin, api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=h).json()["job_id"])
    assert job["status"] == "succeeded", job

    listed = api.client.get("/api/v1/sources", headers=h).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert "catalog" not in item and "streams" not in item
    assert (item["stream_count"], item["selected_stream_count"]) == (1, 1)
    assert item["last_sync"]["id"] == job["id"] and item["last_sync"]["status"] == "succeeded"
    assert len(item["config"]) >= 1

    detail = api.client.get(f"/api/v1/sources/{source['id']}", headers=h).json()
    assert len(detail["catalog"][0]["columns"]) == 300
    assert [s["name"] for s in detail["streams"]] == [detail["catalog"][0]["name"]]
    assert detail["last_sync"]["id"] == job["id"]
