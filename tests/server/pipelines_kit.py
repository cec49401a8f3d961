"""Helpers for pipeline tests: a source to sync, test task kinds that wait or crash, waiting for a run."""

from __future__ import annotations

import threading
import time
from typing import Any

from pipelines.runs.registry import TaskConfig, TaskIO, TaskKind, TaskResult
from tests.server.factories import Actor, Api

FINAL = {"succeeded", "failed", "warned", "cancelled", "interrupted", "skipped"}


class GateTask(TaskKind[TaskConfig]):
    """Waits until the test opens the gate (or the run is cancelled): a run that stays running on demand."""

    kind = "gate"
    display_name = "Wait for the test"
    config_model = TaskConfig

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()

    def run(self, config: TaskConfig, context: Any, io: TaskIO) -> TaskResult:
        from pipelines.errors import Cancelled

        self.entered.set()
        while not self.opened.wait(0.05):
            if io.cancel.is_set():
                raise Cancelled()
            io.progress({"waiting": True})
        return TaskResult()


class CrashTask(TaskKind[TaskConfig]):
    """A task whose code has a bug."""

    kind = "crash"
    display_name = "Crashing task"
    config_model = TaskConfig

    def run(self, config: TaskConfig, context: Any, io: TaskIO) -> TaskResult:
        raise KeyError("column_that_is_not_there")


def install(api: Api, *kinds: TaskKind[Any]) -> None:
    for kind in kinds:
        api.client.app.state.pipelines.registry.register(kind)  # type: ignore[attr-defined]


def make_csv_source(api: Api, actor: Actor, name: str = "Households", body: bytes = b"id,name\n1,Asha\n2,Ben\n") -> str:
    upload = api.client.post("/api/v1/uploads", files={"file": ("households.csv", body)}, headers=actor.headers())
    assert upload.status_code == 201, upload.text
    r = api.client.post(
        "/api/v1/sources",
        json={"name": name, "type": "csv", "config": {"upload_id": upload.json()["id"]}},
        headers=actor.headers(),
    )
    assert r.status_code == 201, r.text
    source_id: str = r.json()["id"]
    return source_id


def create_pipeline(api: Api, actor: Actor, tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body = {"name": extra.pop("name", "Morning refresh"), "tasks": tasks, **extra}
    r = api.client.post("/api/v1/pipelines", json=body, headers=actor.headers())
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def run_now(api: Api, actor: Actor, pipeline_id: str) -> str:
    r = api.client.post(f"/api/v1/pipelines/{pipeline_id}/run", headers=actor.headers())
    assert r.status_code == 202, r.text
    run_id: str = r.json()["run_id"]
    return run_id


def wait_run(api: Api, actor: Actor, run_id: str, until: set[str] | None = None) -> dict[str, Any]:
    """Poll the run until it reaches one of `until` (default: any final status); fails after a minute."""
    wanted = until or FINAL
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run: dict[str, Any] = api.client.get(f"/api/v1/pipeline-runs/{run_id}", headers=actor.headers()).json()
        if run["status"] in wanted:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {wanted}: {run}")


def eventually(check: Any, what: str) -> Any:
    """Poll `check()` until it returns something truthy (work finishing on another thread); fails after a minute."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")
