"""Sources end to end through the HTTP API: a Kobo fake → background sync job → the Data explorer."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.kobo import TOKEN, KoboFake
from tests.fakes.server import serve_app
from tests.server.factories import Actor, Api


@pytest.fixture
def kobo() -> Iterator[tuple[KoboFake, str]]:
    fake = KoboFake(120, page_cap=50)
    with serve_app(fake.app()) as server:
        yield fake, server.url


def wait_for_job(api: Api, actor: Actor, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.client.get(f"/api/v1/jobs/{job_id}", headers=actor.headers()).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def create_kobo_source(api: Api, admin: Actor, url: str, token: str = TOKEN) -> dict[str, Any]:
    r = api.client.post(
        "/api/v1/sources",
        json={"name": "Kobo HH", "type": "kobotoolbox", "config": {"server_url": url, "api_token": token}},
        headers=admin.headers(),
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_connector_catalogue_lists_every_connector_with_a_spec(api: Api) -> None:
    admin = api.setup()
    items = api.client.get("/api/v1/connectors", headers=admin.headers()).json()["items"]
    types = {c["type"] for c in items}
    assert {
        "csv",
        "kobotoolbox",
        "odk_central",
        "commcare",
        "surveycto",
        "google_sheets",
        "postgres",
        "rest_api",
    } <= types
    kobo = next(c for c in items if c["type"] == "kobotoolbox")
    assert kobo["spec"]["properties"]["api_token"].get("writeOnly") is True


def test_kobo_source_check_discover_sync_and_explore(api: Api, kobo: tuple[KoboFake, str]) -> None:
    fake, url = kobo
    admin = api.setup()
    source = create_kobo_source(api, admin, url)
    assert source["config"]["api_token"] == "********"
    assert source["schema_name"] == "raw_kobo_hh"
    assert api.client.post(f"/api/v1/sources/{source['id']}/check", headers=admin.headers()).json()["ok"] is True

    catalog = api.client.post(f"/api/v1/sources/{source['id']}/discover", headers=admin.headers()).json()["streams"]
    stream = next(s for s in catalog if s["name"] == "household_survey")
    assert stream["primary_key"] and stream["default_cursor"]
    chosen = [
        {
            "name": "household_survey",
            "sync_mode": "incremental_dedup",
            "cursor_field": stream["default_cursor"],
            "primary_key": stream["primary_key"],
        }
    ]
    r = api.client.put(f"/api/v1/sources/{source['id']}/streams", json={"streams": chosen}, headers=admin.headers())
    assert r.status_code == 200, r.text

    job = wait_for_job(
        api, admin, api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers()).json()["job_id"]
    )
    assert job["status"] == "succeeded", job
    assert job["result"]["streams"]["household_survey"]["rows"] == 120

    tables = api.client.get(
        "/api/v1/warehouse/tables", headers=admin.headers(), params={"schema": "raw_kobo_hh"}
    ).json()["items"]
    names = {t["name"] for t in tables}
    assert "household_survey" in names and any(n.startswith("household_survey__") for n in names)

    fake.add_submissions("aHouseholdSurvey01", 7)
    job = wait_for_job(
        api, admin, api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers()).json()["job_id"]
    )
    assert job["status"] == "succeeded"
    rows = api.client.get(
        "/api/v1/warehouse/tables/raw_kobo_hh/household_survey/rows", headers=admin.headers(), params={"limit": 5}
    ).json()
    assert rows["total"] == 127 and len(rows["rows"]) == 5
    history = api.client.get(f"/api/v1/sources/{source['id']}/syncs", headers=admin.headers()).json()
    assert history["total"] == 2


def test_explorer_pages_sorts_filters_profiles_and_exports(api: Api, kobo: tuple[KoboFake, str]) -> None:
    _fake, url = kobo
    admin = api.setup()
    source = create_kobo_source(api, admin, url)
    api.client.post(f"/api/v1/sources/{source['id']}/discover", headers=admin.headers())
    job = wait_for_job(
        api, admin, api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers()).json()["job_id"]
    )
    assert job["status"] == "succeeded", job
    base = "/api/v1/warehouse/tables/raw_kobo_hh/household_survey"
    columns = [c["name"] for c in api.client.get(f"{base}/columns", headers=admin.headers()).json()["items"]]
    assert "_id" in columns and "_dalgo_batch_id" in columns
    page = api.client.get(
        f"{base}/rows", headers=admin.headers(), params={"sort": "-_id", "limit": 3, "offset": 1}
    ).json()
    ids = [row[[c["name"] for c in page["columns"]].index("_id")] for row in page["rows"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    filters = json.dumps([{"column": "_id", "op": "le", "value": 1009}])
    filtered = api.client.get(f"{base}/rows", headers=admin.headers(), params={"filters": filters}).json()
    assert filtered["total"] == 10
    profile = api.client.get(f"{base}/profile", headers=admin.headers(), params={"column": "_id"}).json()
    assert profile["rows"] == 120 and profile["nulls"] == 0 and profile["distinct"] == 120 and profile["histogram"]
    export = api.client.get(
        f"{base}/export", headers=admin.headers(), params={"format": "csv", "filters": filters, "sort": "_id"}
    )
    assert export.status_code == 200
    exported = list(csv.DictReader(io.StringIO(export.text)))
    assert len(exported) == 10 and exported[0]["_id"] == "1000"
    assert not any(name.startswith("_dalgo_") for name in exported[0])  # load columns only when asked for
    with_system = api.client.get(
        f"{base}/export", headers=admin.headers(), params={"format": "csv", "system_columns": "true"}
    )
    assert "_dalgo_batch_id" in with_system.text.splitlines()[0]


def test_bad_requests_to_the_explorer_say_what_is_wrong(api: Api) -> None:
    admin = api.setup()
    r = api.client.get("/api/v1/warehouse/tables/raw_x/nope/rows", headers=admin.headers())
    assert r.status_code == 404 and r.json()["error"] == "UnknownTable"
    r = api.client.get("/api/v1/warehouse/tables/raw_x/nope/rows", headers=admin.headers(), params={"filters": "[{bad"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    r = api.client.post("/api/v1/warehouse/query", json={"sql": "DROP TABLE x"}, headers=admin.headers())
    assert r.status_code == 400


def test_a_rejected_token_reads_as_a_plain_message(api: Api, kobo: tuple[KoboFake, str]) -> None:
    _fake, url = kobo
    admin = api.setup()
    source = create_kobo_source(api, admin, url, token="wrong-token")
    check = api.client.post(f"/api/v1/sources/{source['id']}/check", headers=admin.headers()).json()
    assert check["ok"] is False and "token" in check["message"].lower() and check["hint"]
    r = api.client.post(f"/api/v1/sources/{source['id']}/discover", headers=admin.headers())
    assert r.status_code == 400 and r.json()["error"] == "SourceUnavailable"


def test_editing_a_source_keeps_a_masked_secret_and_validates_config(api: Api, kobo: tuple[KoboFake, str]) -> None:
    _fake, url = kobo
    admin = api.setup()
    source = create_kobo_source(api, admin, url)
    r = api.client.patch(
        f"/api/v1/sources/{source['id']}",
        json={"name": "Kobo renamed", "config": {"server_url": url, "api_token": "********"}},
        headers=admin.headers(),
    )
    assert r.status_code == 200 and r.json()["name"] == "Kobo renamed"
    assert api.client.post(f"/api/v1/sources/{source['id']}/check", headers=admin.headers()).json()["ok"] is True
    bad = api.client.post(
        "/api/v1/sources", json={"name": "x", "type": "kobotoolbox", "config": {}}, headers=admin.headers()
    )
    assert bad.status_code == 400 and "api_token" in bad.json()["detail"]
    unknown = api.client.post(
        "/api/v1/sources", json={"name": "x", "type": "nope", "config": {}}, headers=admin.headers()
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "UnknownConnector"
    with api.client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        stored = conn.execute(text("SELECT config, secrets FROM sources")).first()
    assert stored is not None
    assert TOKEN not in str(stored[0]) and TOKEN not in str(stored[1])


def test_second_sync_while_one_runs_is_409_naming_who(api: Api, kobo: tuple[KoboFake, str]) -> None:
    fake, url = kobo
    admin = api.setup()
    source = create_kobo_source(api, admin, url)
    api.client.post(f"/api/v1/sources/{source['id']}/discover", headers=admin.headers())
    fake.fail_next(503, times=3, retry_after=1)  # keeps the first sync busy for a few seconds
    first = api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers()).json()["job_id"]
    second = api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers())
    assert second.status_code == 409 and "root@example.org" in second.json()["detail"]
    cancel = api.client.post(f"/api/v1/jobs/{first}/cancel", headers=admin.headers())
    assert cancel.status_code == 200
    job = wait_for_job(api, admin, first)
    assert job["status"] == "cancelled"
    tables = api.client.get(
        "/api/v1/warehouse/tables", headers=admin.headers(), params={"schema": "raw_kobo_hh"}
    ).json()
    assert tables["total"] == 0  # nothing half-loaded
    log = api.client.get(f"/api/v1/jobs/{first}/log", headers=admin.headers()).text
    assert "cancelled" in log


def test_analyst_sees_sources_but_cannot_change_or_sync(api: Api, kobo: tuple[KoboFake, str]) -> None:
    _fake, url = kobo
    admin = api.setup()
    source = create_kobo_source(api, admin, url)
    analyst = api.add_member(admin, "an@example.org", "analyst")
    assert api.client.get("/api/v1/sources", headers=analyst.headers()).json()["total"] == 1
    assert api.client.post(f"/api/v1/sources/{source['id']}/sync", headers=analyst.headers()).status_code == 403
    assert (
        api.client.patch(f"/api/v1/sources/{source['id']}", json={"name": "x"}, headers=analyst.headers()).status_code
        == 403
    )
    member = api.add_member(admin, "m@example.org", "member")
    assert api.client.get("/api/v1/sources", headers=member.headers()).status_code == 403
