"""Scheduling: missed runs on wake (frozen clock), skip, a restart after a crash, one owner on Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.core.db import make_engine, session_scope
from server.models import PipelineRun, RunLock, TaskRun
from server.pipelines.scheduling import ProcessLocks
from tests.server.conftest import sqlite_app
from tests.server.factories import Actor, Api
from tests.server.pipelines_kit import create_pipeline, eventually, make_csv_source, wait_run

NAIROBI = ZoneInfo("Africa/Nairobi")


def last_nine_oclock() -> datetime:
    """The latest 09:00 in Nairobi that has already passed (a fire the scheduler would have made)."""
    local = datetime.now(NAIROBI)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    return (nine if nine <= local else nine - timedelta(days=1)).astimezone(UTC)


def runs(api: Api, actor: Actor, pipeline_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.client.get(
        f"/api/v1/pipelines/{pipeline_id}/runs", headers=actor.headers()
    ).json()["items"]
    return items


def daily(api: Api, admin: Actor, missed: str) -> str:
    source = make_csv_source(api, admin)
    schedule = {"kind": "daily", "time": "09:00", "timezone": "Africa/Nairobi", "missed": missed}
    pipeline_id: str = create_pipeline(api, admin, [{"kind": "sync", "source_id": source}], schedule=schedule)["id"]
    return pipeline_id


def sleep_through(app: FastAPI, pipeline_id: str, days: int) -> datetime:
    """Stand for a laptop asleep over `days` fires of 09:00, woken at 10:42 after the last (frozen clock)."""
    scheduler = app.state.pipelines.scheduler
    last = last_nine_oclock()
    scheduler.clock = lambda: last + timedelta(hours=1, minutes=42)
    scheduler.set_next_run_time(pipeline_id, last - timedelta(days=days - 1))
    return last


def test_a_run_missed_while_asleep_runs_once_on_wake(tmp_path: Path) -> None:
    app = sqlite_app(tmp_path / "home")
    with TestClient(app) as client:
        api = Api(client)
        admin = api.setup()
        pipeline_id = daily(api, admin, "catch_up_once")
        last = sleep_through(app, pipeline_id, days=3)
        found = eventually(lambda: runs(api, admin, pipeline_id), "the catch-up run")
        run = wait_run(api, admin, found[0]["id"])
        assert (run["trigger"], run["status"]) == ("catch_up", "succeeded")
        assert run["note"] == "missed 09:00 — ran 10:42 on wake"
        assert datetime.fromisoformat(run["scheduled_for"]) == last
        nxt = app.state.pipelines.scheduler.next_run_time(pipeline_id)
        assert nxt > datetime.now(UTC) and nxt.astimezone(NAIROBI).hour == 9
        assert len(runs(api, admin, pipeline_id)) == 1  # three missed fires, one run


def test_a_run_missed_with_skip_is_recorded_as_skipped(tmp_path: Path) -> None:
    app = sqlite_app(tmp_path / "home")
    with TestClient(app) as client:
        api = Api(client)
        admin = api.setup()
        pipeline_id = daily(api, admin, "skip")
        sleep_through(app, pipeline_id, days=1)
        found = eventually(lambda: runs(api, admin, pipeline_id), "the skipped run")
        assert [(r["status"], r["note"]) for r in found] == [("skipped", "missed 09:00 — skipped")]
        detail = api.client.get(f"/api/v1/pipeline-runs/{found[0]['id']}", headers=admin.headers()).json()
        assert detail["tasks"] == []
        tables = api.client.get("/api/v1/warehouse/tables", headers=admin.headers()).json()["items"]
        assert not [t for t in tables if t["schema"] == "raw_households"]


def test_a_run_left_running_by_a_killed_app_is_interrupted_on_restart_and_the_schedule_goes_on(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = sqlite_app(home)
    with TestClient(first) as client:
        api = Api(client)
        admin = api.setup()
        pipeline_id = daily(api, admin, "catch_up_once")
        run_id = _leave_running(first, pipeline_id, owner="a-process-that-was-killed")
    second = sqlite_app(home)
    with TestClient(second) as client:
        api = Api(client)
        admin = api.login(admin.email, org_slug=admin.org_slug)
        run = api.client.get(f"/api/v1/pipeline-runs/{run_id}", headers=admin.headers()).json()
        assert run["status"] == "interrupted" and "Dalgo stopped" in run["cause"]
        assert run["tasks"][0]["status"] == "cancelled"
        with session_scope(second.state.session_factory) as session:
            assert session.query(RunLock).count() == 0
        second.state.pipelines.scheduler.set_next_run_time(pipeline_id, datetime.now(UTC))
        fired = eventually(
            lambda: [r for r in runs(api, admin, pipeline_id) if r["trigger"] == "schedule"], "the next scheduled run"
        )
        assert wait_run(api, admin, fired[0]["id"])["status"] == "succeeded"


def _leave_running(app: FastAPI, pipeline_id: str, owner: str) -> str:
    """What a killed app leaves behind: a running run, its running task and its lock row."""
    with session_scope(app.state.session_factory) as session:
        from server.models import Pipeline

        pipeline = session.get(Pipeline, pipeline_id)
        assert pipeline is not None
        run = PipelineRun(
            org_id=pipeline.org_id,
            pipeline_id=pipeline.id,
            pipeline_name=pipeline.name,
            status="running",
            started_at=datetime.now(UTC),
            owner_token=owner,
        )
        session.add(run)
        session.flush()
        session.add(
            TaskRun(org_id=pipeline.org_id, run_id=run.id, position=0, kind="sync", name="Sync", status="running")
        )
        session.add(
            RunLock(resource=f"pipeline:{pipeline.id}", org_id=pipeline.org_id, run_id=run.id, owner_token=owner)
        )
        return run.id


def test_only_one_process_owns_the_scheduler_on_postgres_and_a_dead_owner_frees_it(pg_app_db: str) -> None:
    engine = make_engine(pg_app_db.replace("postgresql://", "postgresql+psycopg2://"))
    first, second = ProcessLocks(engine, uuid.uuid4().hex), ProcessLocks(engine, uuid.uuid4().hex)
    try:
        first.hold_alive()
        assert first.take_leadership()
        assert not second.take_leadership()
        assert second.is_alive(first.token)
        first.release()  # the process died: its connections closed
        assert second.take_leadership()
        assert not second.is_alive(first.token)
    finally:
        first.release()
        second.release()
        engine.dispose()
