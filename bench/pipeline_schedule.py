"""Schedule-to-start latency: a due pipeline on the real APScheduler (job store in the SQLite app DB).

    uv run python bench/pipeline_schedule.py [--repeats 5]

Each repeat moves the pipeline's job to fire 0.5 s from now and measures, from the time it was due, when
(a) the run row exists (the scheduler fired and recorded it) and (b) its first task started (the executor
thread picked it up). Goal: < 1 s to start (Dagster documents 1-6 s of drift plus launch time).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_overhead import Noop

GOAL_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from server.core.config import Settings
    from server.main import create_app

    app = create_app(Settings(home=Path(tempfile.mkdtemp(prefix="bench-schedule-")), mode="embedded"))
    with TestClient(app) as client:
        app.state.pipelines.registry.register(Noop())
        headers = _sign_in(client)
        body = {"name": "Every minute", "tasks": [{"kind": "noop"}], "schedule": {"cron": "* * * * *"}}
        pipeline_id = client.post("/api/v1/pipelines", json=body, headers=headers).json()["id"]
        rows = [_one(app, client, headers, pipeline_id, n) for n in range(args.repeats)]
    recorded, started = [r[0] for r in rows], [r[1] for r in rows]
    print(f"schedule-to-start on SQLite, {args.repeats} fires")
    print(f"{'step':<22} {'median s':>9} {'max s':>7}")
    print(f"{'run recorded':<22} {statistics.median(recorded):>9.3f} {max(recorded):>7.3f}")
    print(f"{'first task started':<22} {statistics.median(started):>9.3f} {max(started):>7.3f}")
    print(f"goal: < {GOAL_S:.0f} s to start -> {'met' if max(started) < GOAL_S else 'NOT met'}")


def _sign_in(client: Any) -> dict[str, str]:
    tokens = client.post(
        "/api/v1/setup", json={"email": "b@example.org", "password": "nairobi-water-77", "org_name": "Bench"}
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    headers["X-Dalgo-Org"] = client.get("/api/v1/me", headers=headers).json()["memberships"][0]["org"]["slug"]
    return headers


def _one(app: Any, client: Any, headers: dict[str, str], pipeline_id: str, seen: int) -> tuple[float, float]:
    due = datetime.now(UTC) + timedelta(seconds=0.5)
    app.state.pipelines.scheduler.set_next_run_time(pipeline_id, due)
    while True:
        items = client.get(f"/api/v1/pipelines/{pipeline_id}/runs", headers=headers).json()["items"]
        if len(items) > seen and items[0]["status"] not in ("queued", "running"):
            break
        time.sleep(0.01)
    detail = client.get(f"/api/v1/pipeline-runs/{items[0]['id']}", headers=headers).json()
    created = datetime.fromisoformat(detail["created_at"])
    started = datetime.fromisoformat(detail["tasks"][0]["started_at"])
    return (created - due).total_seconds(), (started - due).total_seconds()


if __name__ == "__main__":
    main()
