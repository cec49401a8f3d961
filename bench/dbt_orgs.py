"""Hosted dbt with many orgs: 8 orgs each running a 20-model project at once, against one org alone.

    uv run python bench/dbt_orgs.py [--orgs 8] [--models 20]

A hosted-mode server (each dbt command in a child process, `pipelines.dbt.isolated`) on SQLite; every org
gets `--models` chained SQL models and a pipeline with one transform task. Wall time from the Run-now
requests to the last run finishing: one org alone, then all orgs at once. The run executor serialises one
org's runs and runs different orgs in parallel (4 threads). Goal on 2 cores: all orgs < 3x one org.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL = 3.0
PASSWORD = "nairobi-water-77"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=8)
    parser.add_argument("--models", type=int, default=20)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from server.core.config import Settings
    from server.main import create_app

    app = create_app(
        Settings(home=Path(tempfile.mkdtemp(prefix="bench-dbt-orgs-")), mode="hosted"), run_migrations=True
    )
    with TestClient(app) as client:
        orgs = _orgs(client, args.orgs, args.models)
        _wall(client, orgs[:1])  # warm: first dbt parse of the project, imports in the children
        alone = _wall(client, orgs[:1])
        together = _wall(client, orgs)
    print(f"{args.orgs} orgs x {args.models} models, hosted mode (dbt in child processes)")
    print(f"{'case':<16} {'wall s':>8}")
    print(f"{'one org alone':<16} {alone:>8.2f}")
    print(f"{f'{args.orgs} orgs at once':<16} {together:>8.2f}")
    ratio = together / alone
    print(f"ratio {ratio:.2f}x (goal < {GOAL:.0f}x) -> {'met' if ratio < GOAL else 'NOT met'}")


def _orgs(client: Any, count: int, models: int) -> list[tuple[dict[str, str], str]]:
    tokens = client.post("/api/v1/setup", json={"email": "b@example.org", "password": PASSWORD, "org_name": "Org 0"})
    auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    slugs = [client.get("/api/v1/me", headers=auth).json()["memberships"][0]["org"]["slug"]]
    slugs += [
        client.post("/api/v1/orgs", json={"name": f"Org {n}"}, headers=auth).json()["slug"] for n in range(1, count)
    ]
    out = []
    for slug in slugs:
        headers = {**auth, "X-Dalgo-Org": slug}
        for n in range(models):
            sql = (
                "select 1 as id, 'a' as name" if n == 0 else f"select id + 1 as id, name from {{{{ ref('m{n - 1}') }}}}"
            )
            r = client.post("/api/v1/transforms/models", json={"name": f"m{n}", "sql": sql}, headers=headers)
            assert r.status_code == 201, r.text
        body = {"name": "Transform", "tasks": [{"kind": "transform"}]}
        out.append((headers, client.post("/api/v1/pipelines", json=body, headers=headers).json()["id"]))
    return out


def _wall(client: Any, orgs: list[tuple[dict[str, str], str]]) -> float:
    start = time.perf_counter()
    runs = [(h, client.post(f"/api/v1/pipelines/{p}/run", headers=h).json()["run_id"]) for h, p in orgs]
    for headers, run_id in runs:
        while (run := client.get(f"/api/v1/pipeline-runs/{run_id}", headers=headers).json())["status"] in (
            "queued",
            "running",
        ):
            time.sleep(0.1)
        assert run["status"] == "succeeded", run
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
