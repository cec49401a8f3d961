"""Pipelines API: create, run, history, logs, bad input, locks, cancel, crashes and roles (SQLite and Postgres)."""

from __future__ import annotations

import threading

from tests.server.factories import Api
from tests.server.pipelines_kit import CrashTask, GateTask, create_pipeline, install, make_csv_source, run_now, wait_run


def test_a_pipeline_syncs_its_source_and_the_history_shows_each_task(api: Api) -> None:
    admin = api.setup()
    source = make_csv_source(api, admin)
    made = create_pipeline(
        api,
        admin,
        [{"kind": "sync", "source_id": source}],
        schedule={"kind": "weekly", "time": "07:15", "days": ["mon", "thu"], "timezone": "Africa/Nairobi"},
    )
    assert made["tasks"][0]["name"] == "Sync Households"
    assert made["schedule"]["description"] == "Every Monday and Thursday at 07:15 (Africa/Nairobi)"
    assert made["next_run_local"].endswith("07:15 EAT")
    run = wait_run(api, admin, run_now(api, admin, made["id"]))
    assert run["status"] == "succeeded" and run["trigger"] == "manual" and run["created_by_email"] == admin.email
    task = run["tasks"][0]
    assert (task["status"], task["rows"], task["attempts"]) == ("succeeded", 2, 1)
    log = api.client.get(f"/api/v1/pipeline-runs/{run['id']}/tasks/0/log", headers=admin.headers()).json()
    assert "2 rows into raw_households.households" in log["text"] and log["finished"]
    more = api.client.get(
        f"/api/v1/pipeline-runs/{run['id']}/tasks/0/log", params={"offset": log["next_offset"]}, headers=admin.headers()
    ).json()
    assert more["text"] == ""
    listed = api.client.get("/api/v1/pipelines", headers=admin.headers()).json()["items"][0]
    assert [r["status"] for r in listed["recent_runs"]] == ["succeeded"] and listed["last_run"]["id"] == run["id"]
    rows = api.client.get("/api/v1/warehouse/tables/raw_households/households/rows", headers=admin.headers()).json()
    assert rows["total"] == 2


def test_a_pipeline_with_no_tasks_is_refused(api: Api) -> None:
    admin = api.setup()
    r = api.client.post("/api/v1/pipelines", json={"name": "Empty", "tasks": []}, headers=admin.headers())
    assert r.status_code == 400 and "at least one task" in r.json()["detail"]


def test_an_invalid_cron_and_a_dst_time_are_explained(api: Api) -> None:
    admin = api.setup()
    source = make_csv_source(api, admin)
    body = {"name": "Bad", "tasks": [{"kind": "sync", "source_id": source}]}
    r = api.client.post("/api/v1/pipelines", json={**body, "schedule": {"cron": "0 9 * *"}}, headers=admin.headers())
    assert r.status_code == 400 and "needs 5 fields" in r.json()["detail"]
    r = api.client.post(
        "/api/v1/pipelines",
        json={**body, "schedule": {"kind": "daily", "time": "02:30", "timezone": "Europe/Berlin"}},
        headers=admin.headers(),
    )
    assert r.status_code == 201
    warnings = " ".join(r.json()["warnings"])
    assert "02:30 does not exist in Europe/Berlin" in warnings and "runs at 03:30" in warnings
    assert "02:30 happens twice" in warnings and "runs once" in warnings


def test_a_deleted_source_is_named_on_save_and_on_run(api: Api) -> None:
    admin = api.setup()
    source = make_csv_source(api, admin)
    made = create_pipeline(api, admin, [{"kind": "sync", "source_id": source}])
    api.client.delete(f"/api/v1/sources/{source}", headers=admin.headers())
    r = api.client.post(f"/api/v1/pipelines/{made['id']}/run", headers=admin.headers())
    assert r.status_code == 400 and "Task 1" in r.json()["detail"] and "was deleted" in r.json()["detail"]
    r = api.client.post(
        "/api/v1/pipelines",
        json={"name": "Again", "tasks": [{"kind": "sync", "source_id": source}]},
        headers=admin.headers(),
    )
    assert r.status_code == 400 and "was deleted" in r.json()["detail"]
    assert api.client.get(f"/api/v1/pipelines/{made['id']}/runs", headers=admin.headers()).json()["total"] == 0


def test_a_deleted_model_is_named_on_save(api: Api) -> None:
    admin = api.setup()
    r = api.client.post(
        "/api/v1/pipelines",
        json={"name": "Clean", "tasks": [{"kind": "transform", "select": ["households_clean+"]}]},
        headers=admin.headers(),
    )
    assert r.status_code == 400 and "households_clean" in r.json()["detail"]


def test_kinds_that_come_later_are_refused_not_faked(api: Api) -> None:
    admin = api.setup()
    r = api.client.post(
        "/api/v1/pipelines", json={"name": "Ship", "tasks": [{"kind": "warehouse_sync"}]}, headers=admin.headers()
    )
    assert r.status_code == 400 and "not available yet" in r.json()["detail"]
    kinds = api.client.get("/api/v1/pipeline-tasks", headers=admin.headers()).json()["items"]
    assert {k["kind"]: k["available"] for k in kinds if k["kind"] in ("sync", "warehouse_sync")} == {
        "sync": True,
        "warehouse_sync": False,
    }


def test_two_run_now_clicks_at_once_start_exactly_one_run(api: Api) -> None:
    gate = GateTask()
    install(api, gate)
    admin = api.setup()
    made = create_pipeline(api, admin, [{"kind": "gate"}])
    answers: list[tuple[int, str]] = []
    go = threading.Barrier(2)

    def click() -> None:
        go.wait()
        r = api.client.post(f"/api/v1/pipelines/{made['id']}/run", headers=admin.headers())
        answers.append((r.status_code, r.text))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert sorted(code for code, _ in answers) == [202, 409]
    refused = next(text for code, text in answers if code == 409)
    assert "already running" in refused and admin.email in refused
    gate.opened.set()
    runs = api.client.get(f"/api/v1/pipelines/{made['id']}/runs", headers=admin.headers()).json()
    assert runs["total"] == 1
    assert wait_run(api, admin, runs["items"][0]["id"])["status"] == "succeeded"


def test_a_source_held_by_a_running_pipeline_cannot_be_synced_by_hand(api: Api) -> None:
    gate = GateTask()
    install(api, gate)
    admin = api.setup()
    source = make_csv_source(api, admin)
    made = create_pipeline(api, admin, [{"kind": "gate"}, {"kind": "sync", "source_id": source}], name="Nightly")
    run_id = run_now(api, admin, made["id"])
    r = api.client.post(f"/api/v1/sources/{source}/sync", headers=admin.headers())
    assert r.status_code == 409 and "Nightly" in r.json()["detail"]
    gate.opened.set()
    assert wait_run(api, admin, run_id)["status"] == "succeeded"
    r = api.client.post(f"/api/v1/sources/{source}/sync", headers=admin.headers())
    assert r.status_code == 202, r.text  # the lock went with the run


def test_cancel_stops_the_running_task_and_the_rest(api: Api) -> None:
    gate = GateTask()
    install(api, gate)
    admin = api.setup()
    source = make_csv_source(api, admin)
    made = create_pipeline(api, admin, [{"kind": "gate"}, {"kind": "sync", "source_id": source}])
    run_id = run_now(api, admin, made["id"])
    wait_run(api, admin, run_id, {"running"})
    assert gate.entered.wait(30)
    r = api.client.post(f"/api/v1/pipeline-runs/{run_id}/cancel", headers=admin.headers())
    assert r.status_code == 200
    run = wait_run(api, admin, run_id)
    assert run["status"] == "cancelled"
    assert [t["status"] for t in run["tasks"]] == ["cancelled", "cancelled"]
    tables = api.client.get("/api/v1/warehouse/tables", headers=admin.headers()).json()["items"]
    assert not [t for t in tables if t["schema"] == "raw_households"]
    run_now(api, admin, made["id"])  # the pipeline's lock was freed


def test_a_task_that_crashes_fails_the_run_naming_it_and_frees_the_lock(api: Api) -> None:
    install(api, CrashTask())
    admin = api.setup()
    source = make_csv_source(api, admin)
    made = create_pipeline(api, admin, [{"kind": "crash"}, {"kind": "sync", "source_id": source}])
    run = wait_run(api, admin, run_now(api, admin, made["id"]))
    assert run["status"] == "failed"
    assert "Crashing task" in run["cause"] and "KeyError" in run["cause"]
    assert [t["status"] for t in run["tasks"]] == ["failed", "skipped"]
    log = api.client.get(f"/api/v1/pipeline-runs/{run['id']}/tasks/0/log", headers=admin.headers()).json()
    assert "Traceback" in log["text"]
    assert wait_run(api, admin, run_now(api, admin, made["id"]))["status"] == "failed"


def test_on_failure_continue_runs_the_next_task(api: Api) -> None:
    install(api, CrashTask())
    admin = api.setup()
    source = make_csv_source(api, admin)
    made = create_pipeline(
        api, admin, [{"kind": "crash", "on_failure": "continue"}, {"kind": "sync", "source_id": source}]
    )
    run = wait_run(api, admin, run_now(api, admin, made["id"]))
    assert [t["status"] for t in run["tasks"]] == ["failed", "succeeded"] and run["status"] == "failed"


def test_admins_change_and_run_analysts_and_members_only_look(api: Api) -> None:
    admin = api.setup()
    analyst = api.add_member(admin, "analyst@example.org", "analyst")
    member = api.add_member(admin, "member@example.org", "member")
    source = make_csv_source(api, admin)
    made = create_pipeline(api, admin, [{"kind": "sync", "source_id": source}])
    assert api.client.get("/api/v1/pipelines", headers=analyst.headers()).status_code == 200
    assert api.client.post(f"/api/v1/pipelines/{made['id']}/run", headers=analyst.headers()).status_code == 403
    r = api.client.patch(f"/api/v1/pipelines/{made['id']}", json={"name": "x"}, headers=analyst.headers())
    assert r.status_code == 403
    assert api.client.get("/api/v1/pipelines", headers=member.headers()).status_code == 200  # issue 9: view only
    assert api.client.post(f"/api/v1/pipelines/{made['id']}/run", headers=member.headers()).status_code == 403
    assert api.client.delete(f"/api/v1/pipelines/{made['id']}", headers=member.headers()).status_code == 403
    assert api.client.get("/api/v1/notifications", headers=member.headers()).status_code == 200


def test_runs_are_listed_newest_first_filtered_and_paged(api: Api) -> None:
    install(api, CrashTask())
    admin = api.setup()
    source = make_csv_source(api, admin)
    good = create_pipeline(api, admin, [{"kind": "sync", "source_id": source}], name="Good")
    bad = create_pipeline(api, admin, [{"kind": "crash"}], name="Bad")
    ids = [wait_run(api, admin, run_now(api, admin, p["id"]))["id"] for p in (good, bad, good)]
    page = api.client.get("/api/v1/pipeline-runs", params={"limit": 2}, headers=admin.headers()).json()
    assert page["total"] == 3 and [r["id"] for r in page["items"]] == [ids[2], ids[1]]
    failed = api.client.get("/api/v1/pipeline-runs", params={"status": "failed"}, headers=admin.headers()).json()
    assert [r["id"] for r in failed["items"]] == [ids[1]]
    mine = api.client.get(f"/api/v1/pipelines/{good['id']}/runs", params={"offset": 1}, headers=admin.headers()).json()
    assert [r["id"] for r in mine["items"]] == [ids[0]]
    later = api.client.get(
        "/api/v1/pipeline-runs", params={"since": "2999-01-01T00:00:00Z"}, headers=admin.headers()
    ).json()
    assert later["total"] == 0


def test_a_pipeline_does_not_sync_a_source_while_it_is_synced_by_hand(api: Api) -> None:
    """The other direction of the source lock: a hand-started sync still running makes the task wait, then fail."""
    from server.core.db import session_scope
    from server.models import Job

    admin = api.setup()
    source = make_csv_source(api, admin)
    made = create_pipeline(api, admin, [{"kind": "sync", "source_id": source, "retries": 0}], name="Nightly")
    app = api.client.app  # type: ignore[attr-defined]
    me = api.client.get("/api/v1/me", headers=admin.headers()).json()
    with session_scope(app.state.session_factory) as session:
        job = Job(org_id=me["memberships"][0]["org"]["id"], kind="source_sync", target_id=source, status="running")
        job.created_by_email = "amina@example.org"
        session.add(job)
        session.flush()
        job_id = job.id
    run = wait_run(api, admin, run_now(api, admin, made["id"]))
    assert run["status"] == "failed"
    assert "being synced by hand" in run["tasks"][0]["error"] and "amina@example.org" in run["tasks"][0]["error"]
    with session_scope(app.state.session_factory) as session:
        session.get(Job, job_id).status = "succeeded"  # type: ignore[union-attr]
    assert wait_run(api, admin, run_now(api, admin, made["id"]))["status"] == "succeeded"
