"""From file to table in one click: a source whose streams were never chosen syncs every stream it offers."""

from __future__ import annotations

from tests.server.factories import Api
from tests.server.test_sources_api import wait_for_job

SURVEY = "household_id,village,members\nHH-1,Rampur,4\nHH-2,Kibera,6\nHH-3,लक्ष्मीपुर,3\n"


def test_a_new_file_source_syncs_all_its_streams_without_choosing_them(api: Api) -> None:
    admin = api.setup()
    h = admin.headers()
    upload = api.client.post("/api/v1/uploads", files={"file": ("survey.csv", SURVEY.encode())}, headers=h).json()
    source = api.client.post(
        "/api/v1/sources", json={"name": "Survey", "type": "csv", "config": {"upload_id": upload["id"]}}, headers=h
    ).json()
    assert source["streams"] is None  # never discovered, never chosen
    started = api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=h)
    assert started.status_code == 202, started.text
    job = wait_for_job(api, admin, started.json()["job_id"])
    assert job["status"] == "succeeded", job
    fresh = api.client.get(f"/api/v1/sources/{source['id']}", headers=h).json()
    assert [(s["name"], s["sync_mode"]) for s in fresh["streams"]] == [("survey", "full_refresh")]
    tables = api.client.get(f"/api/v1/warehouse/tables?schema={fresh['schema_name']}", headers=h).json()["items"]
    assert [(t["name"], t["rows"]) for t in tables] == [("survey", 3)]


def test_streams_chosen_as_none_still_refuse_to_sync(api: Api) -> None:
    admin = api.setup()
    h = admin.headers()
    upload = api.client.post("/api/v1/uploads", files={"file": ("survey.csv", SURVEY.encode())}, headers=h).json()
    source = api.client.post(
        "/api/v1/sources", json={"name": "Survey", "type": "csv", "config": {"upload_id": upload["id"]}}, headers=h
    ).json()
    api.client.post(f"/api/v1/sources/{source['id']}/discover", headers=h)
    assert api.client.put(f"/api/v1/sources/{source['id']}/streams", json={"streams": []}, headers=h).status_code == 200
    refused = api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=h)
    assert refused.status_code in (400, 409, 422) and "no" in refused.json()["detail"].lower()
