"""Tenant isolation matrix: every role of org A, against every scoped route, on org B's resources.

Routes are enumerated from the app, so a new route is covered without editing this file; a new path
parameter needs one sample id here (the test fails and says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.core.deps import PUBLIC_ROUTES
from server.core.permissions import Permission
from server.core.routes import iter_api_routes
from tests.server.factories import Actor, Api

ROLES = ["admin", "analyst", "member"]


@dataclass
class World:
    a_actors: dict[str, Actor]
    a_slug: str
    b_slug: str
    b_ids: dict[str, str]  # path parameter name -> an id of org B's resource
    b_secrets: list[str]  # strings that must never appear in a response to org A


def build_world(api: Api) -> World:
    root = api.setup(org_name="Alpha Office")
    b_slug = api.create_org(root, "Beta Office")
    b_admin = api.add_member(root, "b-admin@example.org", "admin", org=b_slug)
    b_member = api.add_member(b_admin, "b-member@example.org", "analyst")
    b_invite = api.invite(b_admin, "b-pending@example.org", "member")
    a_actors = {role: api.add_member(root, f"a-{role}@example.org", role) for role in ROLES}
    b_source = api.client.post(
        "/api/v1/sources",
        json={
            "name": "Beta Kobo",
            "type": "kobotoolbox",
            "config": {"server_url": "http://127.0.0.1:9", "api_token": "beta-secret-token"},
        },
        headers=b_admin.headers(),
    ).json()
    b_upload = api.client.post(
        "/api/v1/uploads", files={"file": ("beta.csv", b"x\n1\n")}, headers=b_admin.headers()
    ).json()
    b_job = make_job(api, b_slug, b_source["id"])
    make_warehouse_table(api, b_slug, "raw_beta_only", "households")
    b_recipe = api.client.post(
        "/api/v1/recipes",
        json={"name": "Beta recipe", "input": {"schema": "raw_beta_only", "table": "households"}},
        headers=b_admin.headers(),
    ).json()
    b_recipe = api.client.post(
        f"/api/v1/recipes/{b_recipe['id']}/steps",
        json={"op": "trim", "config": {"columns": ["name"]}},
        headers=b_admin.headers(),
    ).json()
    api.client.post(
        "/api/v1/transforms/models",
        json={"name": "beta_model", "sql": "select 1 as beta_only_col"},
        headers=b_admin.headers(),
    )
    b_pipeline = api.client.post(
        "/api/v1/pipelines",
        json={"name": "Beta pipeline", "tasks": [{"kind": "sync", "source_id": b_source["id"]}]},
        headers=b_admin.headers(),
    ).json()
    b_run, b_note = make_run_and_notification(api, b_slug, b_pipeline["id"], api.user_id(b_admin))
    b_table = {"schema": "raw_beta_only", "table": "households"}
    b_metric = api.client.post(
        "/api/v1/metrics", json={"name": "Beta metric", "input": b_table, "agg": "count"}, headers=b_admin.headers()
    ).json()
    b_chart = api.client.post(
        "/api/v1/charts",
        json={"name": "Beta chart", "chart_type": "bar", "input": b_table, "dimensions": ["name"]},
        headers=b_admin.headers(),
    ).json()
    b_ids = {
        "chart_id": b_chart["id"],
        "metric_id": b_metric["id"],
        "pipeline_id": b_pipeline["id"],
        "run_id": b_run,
        "position": "0",
        "notification_id": b_note,
        "user_id": api.user_id(b_member),
        "invitation_id": b_invite["id"],
        "source_id": b_source["id"],
        "job_id": b_job,
        "schema": "raw_beta_only",
        "table": "households",
        "recipe_id": b_recipe["id"],
        "step_id": b_recipe["steps"][0]["id"],
        "name": "beta_model",
    }
    secrets = ["b-member@example.org", "b-admin@example.org", "b-pending@example.org", b_invite["code"], "Beta Office"]
    secrets += ["Beta pipeline", "beta-run-cause", "Beta chart", "Beta metric"]
    secrets += ["Beta recipe", "beta_only_col", "Beta Kobo", "beta-secret-token", b_upload["id"], "beta-household-row"]
    return World(a_actors, root.org_slug or "", b_slug, b_ids, secrets)


def make_job(api: Api, org_slug: str, target_id: str) -> str:
    """A finished job row of org B (made directly: starting a real sync needs a reachable source)."""
    from sqlalchemy import select

    from server.core.db import session_scope
    from server.models import Job, Org

    with session_scope(api.client.app.state.session_factory) as session:  # type: ignore[attr-defined]
        org = session.scalars(select(Org).where(Org.slug == org_slug)).one()
        job = Job(
            org_id=org.id,
            kind="source_sync",
            target_id=target_id,
            status="succeeded",
            result={"secret": "beta-household-row"},
        )
        session.add(job)
        session.flush()
        return job.id


def make_run_and_notification(api: Api, org_slug: str, pipeline_id: str, user_id: str) -> tuple[str, str]:
    """A finished pipeline run of org B with one task, and a notification about it (made directly)."""
    from sqlalchemy import select

    from server.core.db import session_scope
    from server.models import Notification, Org, PipelineRun, TaskRun

    with session_scope(api.client.app.state.session_factory) as session:  # type: ignore[attr-defined]
        org = session.scalars(select(Org).where(Org.slug == org_slug)).one()
        run = PipelineRun(
            org_id=org.id,
            pipeline_id=pipeline_id,
            pipeline_name="Beta pipeline",
            status="failed",
            cause="beta-run-cause",
        )
        session.add(run)
        session.flush()
        session.add(TaskRun(org_id=org.id, run_id=run.id, position=0, kind="sync", name="Sync", status="failed"))
        note = Notification(org_id=org.id, user_id=user_id, run_id=run.id, title="Beta pipeline failed")
        session.add(note)
        session.flush()
        return run.id, note.id


def make_warehouse_table(api: Api, org_slug: str, schema: str, table: str) -> None:
    con = api.client.app.state.storage.duckdb(org_slug).cursor()  # type: ignore[attr-defined]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} AS SELECT 'beta-household-row' AS name, 1 AS size")


def _body_for(method: str) -> dict[str, Any] | None:
    # plausible bodies so a request is not refused for its shape before its tenant is checked
    if method not in {"POST", "PATCH", "PUT"}:
        return None
    return {
        "role": "member",
        "email": "probe@example.org",
        "name": "probe",
        "type": "csv",
        "kind": "duckdb",
        "config": {},
        "streams": [],
        "sql": "select 1",
        "op": "trim",
        "position": 0,
        "column": "name",
        "merges": [{"values": ["a"], "value": "b"}],
        "path": "/nonexistent",
    }


def scoped_routes(app: Any) -> list[tuple[str, str]]:
    routes = []
    for info in iter_api_routes(app):
        if info.path in PUBLIC_ROUTES:
            continue
        perms = info.permissions()
        org_scoped = perms and not perms & {Permission.account, Permission.orgs_create}
        if org_scoped or "{" in info.path:
            routes.extend((m, info.path) for m in sorted(info.methods - {"HEAD", "OPTIONS"}))
    return routes


def _fill(path: str, ids: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name not in ids:
            pytest.fail(f"tenant isolation test: add a sample org-B id for path parameter '{name}' ({path})")
        return ids[name]

    return re.sub(r"\{([^}]+)\}", sub, path)


def _assert_refused(client: TestClient, method: str, url: str, headers: dict[str, str], world: World, why: str) -> None:
    r = client.request(method, url, headers=headers, json=_body_for(method), params={"column": "name"})
    assert r.status_code in (403, 404), f"{why}: {method} {url} answered {r.status_code}: {r.text[:300]}"
    for secret in world.b_secrets:
        assert secret not in r.text, f"{why}: {method} {url} leaked {secret!r}"


def test_no_role_of_org_a_reaches_org_b(api: Api) -> None:
    world = build_world(api)
    routes = scoped_routes(api.client.app)
    assert len(routes) >= 8
    b_members_before = api.client.get(
        "/api/v1/users", headers=api.login("b-admin@example.org", org_slug=world.b_slug).headers()
    ).json()
    for role, actor in world.a_actors.items():
        for method, path in routes:
            url = _fill(path, world.b_ids)
            # 1. naming org B in the header: not one of theirs
            _assert_refused(api.client, method, url, actor.headers(world.b_slug), world, f"{role} of A with B's header")
            # 2. their own org in the header, B's ids in the path
            if "{" in path:
                _assert_refused(
                    api.client, method, url, actor.headers(world.a_slug), world, f"{role} of A with B's ids"
                )
    b_admin = api.login("b-admin@example.org", org_slug=world.b_slug)
    assert api.client.get("/api/v1/users", headers=b_admin.headers()).json() == b_members_before
    pending = api.client.get("/api/v1/invitations", headers=b_admin.headers()).json()
    assert [i["email"] for i in pending["items"]] == ["b-pending@example.org"]
