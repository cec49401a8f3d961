"""Notifications: who is told about which runs, unread count, mark read, settings, and mail through SMTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.fakes.smtp import fake_smtp
from tests.server.conftest import sqlite_app
from tests.server.factories import Actor, Api
from tests.server.pipelines_kit import (
    CrashTask,
    create_pipeline,
    eventually,
    install,
    make_csv_source,
    run_now,
    wait_run,
)


def inbox(api: Api, actor: Actor, **params: Any) -> dict[str, Any]:
    found: dict[str, Any] = api.client.get("/api/v1/notifications", params=params, headers=actor.headers()).json()
    return found


def test_failures_reach_everyone_who_sees_pipelines_and_can_be_marked_read(api: Api) -> None:
    install(api, CrashTask())
    admin = api.setup()
    analyst = api.add_member(admin, "analyst@example.org", "analyst")
    member = api.add_member(admin, "member@example.org", "member")
    bad = create_pipeline(api, admin, [{"kind": "crash"}], name="Weekly report")
    wait_run(api, admin, run_now(api, admin, bad["id"]))
    note = eventually(lambda: inbox(api, admin)["items"], "the admin is notified")[0]
    assert (note["level"], note["title"]) == ("error", "Weekly report failed")
    assert "Crashing task" in note["body"] and "What to do:" in note["body"]
    assert eventually(lambda: inbox(api, analyst)["total"] == 1, "the analyst is notified")
    assert eventually(lambda: inbox(api, member)["total"] == 1, "the member, who sees pipelines, is notified")
    count = api.client.get("/api/v1/notifications/unread-count", headers=admin.headers()).json()
    assert count == {"unread": 1}
    r = api.client.post(f"/api/v1/notifications/{note['id']}/read", headers=admin.headers())
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert api.client.get("/api/v1/notifications/unread-count", headers=admin.headers()).json() == {"unread": 0}
    assert inbox(api, admin, unread=True)["total"] == 0
    r = api.client.post(f"/api/v1/notifications/{note['id']}/read", headers=analyst.headers())
    assert r.status_code == 404  # someone else's notification


def test_each_user_chooses_all_failures_or_none_and_which_pipelines(api: Api) -> None:
    install(api, CrashTask())
    admin = api.setup()
    analyst = api.add_member(admin, "analyst@example.org", "analyst")
    source = make_csv_source(api, admin)
    good = create_pipeline(api, admin, [{"kind": "sync", "source_id": source}], name="Good")
    bad = create_pipeline(api, admin, [{"kind": "crash"}], name="Bad")
    assert api.client.get("/api/v1/notifications/settings", headers=admin.headers()).json() == {
        "mode": "failures",
        "pipeline_ids": None,
        "email": True,
    }
    wanted = {"mode": "all", "pipeline_ids": [good["id"]], "email": False}
    assert api.client.put("/api/v1/notifications/settings", json=wanted, headers=admin.headers()).json() == wanted
    api.client.put("/api/v1/notifications/settings", json={"mode": "none"}, headers=analyst.headers())
    for pipeline in (good, bad, good):
        wait_run(api, admin, run_now(api, admin, pipeline["id"]))
    titles = eventually(
        lambda: [n["title"] for n in inbox(api, admin)["items"]][:2] if inbox(api, admin)["total"] == 2 else None,
        "two notes",
    )
    assert titles == ["Good ran successfully", "Good ran successfully"]
    assert inbox(api, analyst)["total"] == 0
    api.client.post("/api/v1/notifications/read-all", headers=admin.headers())
    assert api.client.get("/api/v1/notifications/unread-count", headers=admin.headers()).json() == {"unread": 0}


def test_failures_are_mailed_when_smtp_is_set(tmp_path: Path) -> None:
    with fake_smtp() as smtp:
        app = sqlite_app(tmp_path / "home", smtp_host="127.0.0.1", smtp_port=smtp.port)
        with TestClient(app) as client:
            api = Api(client)
            install(api, CrashTask())
            admin = api.setup()
            bad = create_pipeline(api, admin, [{"kind": "crash"}], name="Monthly export")
            wait_run(api, admin, run_now(api, admin, bad["id"]))
            mail = eventually(lambda: smtp.messages, "a mail arrives")[0]
    assert mail["To"] == admin.email and mail["Subject"] == "Dalgo: Monthly export failed"
    assert "Crashing task" in mail.get_payload()
