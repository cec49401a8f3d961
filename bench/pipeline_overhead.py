"""Engine overhead: a pipeline of 20 no-op tasks end to end, against calling the 20 no-ops directly.

    uv run python bench/pipeline_overhead.py [--repeats 5]

Three ways, each the median of `--repeats`:
  direct     the 20 no-op task functions called in a loop (the baseline)
  engine     pipelines.runs.RunEngine with an in-memory recorder (retries, statuses, log lines)
  server     Run now through the real server on SQLite: run and task rows, log files, locks, the executor
             thread, the final status and the notifications written (HTTP request to 'succeeded' seen in the DB)
Goal: < 1 s for the server path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.runs.engine import PlannedTask, RunEngine, TaskUpdate
from pipelines.runs.registry import TaskConfig, TaskIO, TaskKind, TaskResult

TASKS, GOAL_S = 20, 1.0


class Noop(TaskKind[TaskConfig]):
    kind = "noop"
    display_name = "Do nothing"
    config_model = TaskConfig

    def run(self, config: TaskConfig, context: Any, io: TaskIO) -> TaskResult:
        io.log("nothing to do")
        return TaskResult()


class Memory:
    def task(self, update: TaskUpdate) -> None:
        pass

    def log(self, position: int, line: str) -> None:
        pass

    def progress(self, position: int, info: dict[str, Any]) -> None:
        pass


def direct() -> float:
    kind, io = Noop(), TaskIO("r", 0, lambda _l: None, lambda _i: None, __import__("threading").Event())
    start = time.perf_counter()
    for _ in range(TASKS):
        kind.run(TaskConfig(), None, io)
    return time.perf_counter() - start


def engine() -> float:
    plan = [PlannedTask(Noop(), TaskConfig(), f"noop {i}") for i in range(TASKS)]
    start = time.perf_counter()
    outcome = RunEngine("r", plan, None, Memory()).run()
    assert outcome.status == "succeeded"
    return time.perf_counter() - start


def server(repeats: int) -> list[float]:
    from fastapi.testclient import TestClient

    from server.core.config import Settings
    from server.main import create_app

    home = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    app = create_app(Settings(home=home, mode="embedded"))
    with TestClient(app) as client:
        app.state.pipelines.registry.register(Noop())
        pw = "nairobi-water-77"
        tokens = client.post(
            "/api/v1/setup", json={"email": "b@example.org", "password": pw, "org_name": "Bench"}
        ).json()
        h = {"Authorization": f"Bearer {tokens['access_token']}"}
        h["X-Dalgo-Org"] = client.get("/api/v1/me", headers=h).json()["memberships"][0]["org"]["slug"]
        body = {"name": "Twenty no-ops", "tasks": [{"kind": "noop"}] * TASKS}
        pipeline = client.post("/api/v1/pipelines", json=body, headers=h).json()
        return [_one_run(client, h, pipeline["id"]) for _ in range(repeats)]


def _one_run(client: Any, headers: dict[str, str], pipeline_id: str) -> float:
    start = time.perf_counter()
    run_id = client.post(f"/api/v1/pipelines/{pipeline_id}/run", headers=headers).json()["run_id"]
    while True:
        run = client.get(f"/api/v1/pipeline-runs/{run_id}", headers=headers).json()
        if run["status"] not in ("queued", "running"):
            assert run["status"] == "succeeded", run
            return time.perf_counter() - start
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    base = statistics.median(direct() for _ in range(args.repeats))
    eng = statistics.median(engine() for _ in range(args.repeats))
    srv = statistics.median(server(args.repeats))
    print(f"{TASKS} no-op tasks, median of {args.repeats}")
    print(f"{'way':<8} {'seconds':>10} {'per task ms':>12} {'x direct':>10}")
    for name, value in (("direct", base), ("engine", eng), ("server", srv)):
        print(f"{name:<8} {value:>10.4f} {value / TASKS * 1000:>12.3f} {value / base:>10.0f}")
    print(f"goal: server < {GOAL_S:.0f} s -> {'met' if srv < GOAL_S else 'NOT met'}")


if __name__ == "__main__":
    main()
