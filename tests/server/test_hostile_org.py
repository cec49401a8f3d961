"""An org admin who attacks the server through SQL and dbt: nothing leaves the org, nothing else is reached.

Org "Beta" keeps a file with a marker; the admin of org "Alpha" tries to read it, to read the server's
files and settings, to write files elsewhere and to run Python — through dbt models and hooks, the data
explorer's query box and a recipe's SQL step — on a hosted server (dbt in a scrubbed child process) and
on the desktop (dbt in-process, same confined DuckDB).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.core.config import Settings
from server.main import create_app
from tests.server.factories import Actor, Api
from tests.server.test_recipes_api import load_csv, new_recipe
from tests.server.test_sources_api import wait_for_job

MARKER = "beta-private-7731"
SERVER_SECRET = "server-signing-key-that-no-org-may-read-0123456789"

pytestmark = pytest.mark.slow


def _app(mode: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("DALGO_SECRET_KEY", SERVER_SECRET)  # in the server's environment, as an operator sets it
    return create_app(Settings(home=home, mode=mode, secret_key=SERVER_SECRET), run_migrations=True)  # type: ignore[arg-type]


@pytest.fixture(params=["hosted", "embedded"])
def app(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    return _app(request.param, tmp_path / "home", monkeypatch)


@pytest.fixture
def api(app: FastAPI) -> Iterator[Api]:
    with TestClient(app) as client:
        yield Api(client)


@pytest.fixture
def hosted_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    with TestClient(_app("hosted", tmp_path / "home", monkeypatch)) as client:
        yield Api(client)


@pytest.fixture
def orgs(api: Api) -> tuple[Actor, Actor, Path]:
    return _orgs(api)


def _orgs(api: Api) -> tuple[Actor, Actor, Path]:
    """Alpha's admin (the attacker), Beta's admin with a synced file, and the server's data dir."""
    root = api.setup("root@example.org", "Alpha")
    beta_slug = api.create_org(root, "Beta")
    beta = Actor(root.email, root.password, root.access_token, root.refresh_token, beta_slug)
    load_csv(api, beta, f"id,secret\n1,{MARKER}\n")
    alpha = api.add_member(root, "mallory@example.org", "admin")
    home: Path = api.client.app.state.settings.home  # type: ignore[attr-defined]
    return alpha, beta, home


def _run_model(api: Api, admin: Actor, name: str, sql: str) -> dict[str, Any]:
    r = api.client.post("/api/v1/transforms/models", json={"name": name, "sql": sql}, headers=admin.headers())
    assert r.status_code == 201, r.text
    started = api.client.post("/api/v1/transforms/run", json={"select": [name]}, headers=admin.headers())
    assert started.status_code == 202, started.text
    return wait_for_job(api, admin, started.json()["job_id"], timeout=120)


def _alpha_holds(api: Api, admin: Actor, text: str) -> bool:
    """Whether any table of the attacker's warehouse now holds `text`."""
    for table in api.client.get("/api/v1/warehouse/tables", headers=admin.headers()).json()["items"]:
        rows = api.client.get(
            f"/api/v1/warehouse/tables/{table['schema']}/{table['name']}/rows", headers=admin.headers()
        ).json()
        if text in str(rows.get("rows")):
            return True
    return False


def test_dbt_models_and_hooks_cannot_reach_outside_the_org(api: Api, orgs: tuple[Actor, Actor, Path]) -> None:
    alpha, beta, home = orgs
    beta_uploads = home / "orgs" / beta.org_slug / "uploads"  # type: ignore[operator]
    attacks = {
        "other_org": f"select * from read_csv('{beta_uploads}/*/*.csv')",
        "etc_passwd": "select * from read_text('/etc/passwd')",
        "dotdot": f"select * from read_text('{home}/orgs/{alpha.org_slug}/uploads/../../{beta.org_slug}/uploads/x')",
        "app_db": f"{{% do run_query(\"ATTACH '{home}/app.db' AS appdb\") %}} select 1 as x",
        "copy_out": f"{{{{ config(pre_hook=\"COPY (select 42 as x) TO '{home}/pwned.csv'\") }}}} select 1 as x",
        "extension": "{% do run_query('LOAD postgres') %} select 1 as x",
        "unlock": "{% do run_query('SET enable_external_access = true') %} select 1 as x",
    }
    for name, sql in attacks.items():
        job = _run_model(api, alpha, name, sql)
        assert job["status"] == "failed", (name, job)
        assert str(home) not in (job["error"] or "") or name in ("app_db", "copy_out", "dotdot", "other_org"), job
    assert not (home / "pwned.csv").exists()
    assert not _alpha_holds(api, alpha, MARKER)
    assert not _alpha_holds(api, alpha, "root:x:0:0")


def test_a_hosted_dbt_run_sees_no_server_secret(api: Api, app: FastAPI, orgs: tuple[Actor, Actor, Path]) -> None:
    alpha, _, _ = orgs
    sql = (
        "select '{{ env_var('DALGO_SECRET_KEY', 'absent') }}' as signing_key,"
        " '{{ env_var('DALGO_DATABASE_URL', 'absent') }}' as app_db"
    )
    job = _run_model(api, alpha, "peek", sql)
    assert job["status"] == "succeeded", job
    rows = api.client.get("/api/v1/warehouse/tables/analytics/peek/rows", headers=alpha.headers()).json()["rows"]
    if app.state.settings.mode == "hosted":
        assert rows == [["absent", "absent"]]
    else:  # the desktop runs dbt in its own process, for its only user: confinement is the DuckDB's
        assert rows[0][0] == SERVER_SECRET


def test_python_models_are_refused_on_a_hosted_server(hosted_api: Api) -> None:
    api = hosted_api
    alpha, _, home = _orgs(api)
    project = home / "orgs" / str(alpha.org_slug) / "dbt"
    api.client.get("/api/v1/transforms/models", headers=alpha.headers()).raise_for_status()  # project created
    (project / "models" / "sql" / "evil.py").write_text(
        "def model(dbt, session):\n    import os\n    os.system('touch /tmp/dalgo-pwned')\n    return session.sql('select 1')\n"
    )
    job = wait_for_job(
        api, alpha, api.client.post("/api/v1/transforms/run", headers=alpha.headers()).json()["job_id"], timeout=120
    )
    assert job["status"] == "failed"
    assert "Python models" in job["error"] and "models/sql/evil.py" in job["error"]


def test_the_desktop_still_syncs_a_file_by_its_local_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Confinement keeps SQL inside the org's folders; a local file is copied in there, never read in place."""
    outside = tmp_path / "Documents" / "households.csv"
    outside.parent.mkdir()
    outside.write_text("id,village\n1,Rampur\n2,Kibera\n")
    with TestClient(_app("embedded", tmp_path / "home", monkeypatch)) as client:
        api = Api(client)
        admin = api.setup()
        source = client.post(
            "/api/v1/sources",
            json={"name": "Households", "type": "csv", "config": {"path": str(outside)}},
            headers=admin.headers(),
        ).json()
        client.post(f"/api/v1/sources/{source['id']}/discover", headers=admin.headers()).raise_for_status()
        job_id = client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers()).json()["job_id"]
        assert wait_for_job(api, admin, job_id)["status"] == "succeeded"
        outside.write_text("id,village\n1,Rampur\n2,Kibera\n3,Mathare\n")  # edited in place: the next sync sees it
        job_id = client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin.headers()).json()["job_id"]
        assert wait_for_job(api, admin, job_id)["status"] == "succeeded"
        rows = client.get(
            f"/api/v1/warehouse/tables/{source['schema_name']}/households/rows", headers=admin.headers()
        ).json()
    assert rows["total"] == 3
    assert outside.read_text().count("\n") == 4  # the user's own file is untouched


def test_the_query_box_resolves_names_by_scope(api: Api, orgs: tuple[Actor, Actor, Path]) -> None:
    """A CTE defined inside a subquery does not make the outer FROM's name a known table."""
    alpha, beta, home = orgs
    glob = f"{home}/orgs/{beta.org_slug}/uploads/*/*.csv"
    for sql in (
        f'SELECT * FROM "{glob}" WHERE EXISTS (WITH "{glob}" AS (SELECT 1) SELECT 1)',
        f"SELECT * FROM read_csv('{glob}')",
        "SELECT * FROM duckdb_databases()",
        "SELECT current_setting('allowed_directories') AS folders",
    ):
        r = api.client.post("/api/v1/warehouse/query", json={"sql": sql}, headers=alpha.headers())
        assert r.status_code in (400, 404), (sql, r.text)
        assert MARKER not in r.text
    ok = api.client.post(
        "/api/v1/warehouse/query",
        json={"sql": "WITH t AS (SELECT 1 AS n) SELECT * FROM (WITH u AS (SELECT n FROM t) SELECT * FROM u) AS s"},
        headers=alpha.headers(),
    )
    assert ok.status_code == 200 and ok.json()["rows"] == [[1]]


def test_a_recipe_sql_step_resolves_names_by_scope(api: Api, orgs: tuple[Actor, Actor, Path]) -> None:
    alpha, beta, home = orgs
    schema = load_csv(api, alpha)
    recipe = new_recipe(api, alpha, schema)
    glob = f"{home}/orgs/{beta.org_slug}/uploads/*/*.csv"
    sql = f'SELECT * FROM "{glob}" WHERE EXISTS (WITH "{glob}" AS (SELECT 1) SELECT 1)'
    r = api.client.post(
        f"/api/v1/recipes/{recipe['id']}/steps", json={"op": "raw_sql", "config": {"sql": sql}}, headers=alpha.headers()
    )
    assert r.status_code in (400, 422), r.text
    assert "may only read _prev" in r.text
    preview = api.client.get(f"/api/v1/recipes/{recipe['id']}/preview", headers=alpha.headers())
    assert preview.status_code == 200 and MARKER not in preview.text


def test_a_hosted_server_shows_no_server_path(hosted_api: Api) -> None:
    api = hosted_api
    alpha, _, home = _orgs(api)
    described = api.client.get("/api/v1/warehouse", headers=alpha.headers())
    assert described.status_code == 200 and str(home) not in described.text
    r = api.client.post(
        "/api/v1/warehouse/query", json={"sql": f"SELECT * FROM read_text('{home}/app.db')"}, headers=alpha.headers()
    )
    assert r.status_code == 400 and str(home) not in r.text
    api.client.post(
        "/api/v1/sources",
        json={"name": "Gone", "type": "csv", "config": {"path": f"{home}/orgs/x.csv"}},
        headers=alpha.headers(),
    )
    job = _run_model(api, alpha, "reads_a_path", f"select * from read_csv('{home}/orgs/{alpha.org_slug}/x.csv')")
    assert job["status"] == "failed"
    assert str(home) not in str(job), job
    log = api.client.get(f"/api/v1/jobs/{job['id']}/log", headers=alpha.headers())
    assert log.status_code == 200 and "reads_a_path" in log.text and str(home) not in log.text


def test_per_org_caches_stay_bounded(tmp_path: Path) -> None:
    """A server with many orgs keeps only the most recently used orgs' connections and preview caches."""
    from pipelines.recipes.cache import PreviewCache
    from server.core.bounded import BoundedCache
    from server.core.storage import OrgStorage

    storage = OrgStorage(Settings(home=tmp_path / "home"), max_open=3)
    caches: BoundedCache[str, PreviewCache] = BoundedCache(3, on_evict=storage.drop_preview_cache)
    first = storage.duckdb("org-0")
    first.execute("CREATE TABLE t AS SELECT 1 AS n")
    for i in range(6):
        storage.duckdb(f"org-{i}")
        caches.setdefault(f"org-{i}", PreviewCache())
    assert len(caches) == 3 and "org-0" not in caches
    with pytest.raises(Exception, match="closed"):
        first.execute("SELECT 1")  # evicted: closed, and reopened on the next request
    assert storage.duckdb("org-0").execute("SELECT n FROM t").fetchall() == [(1,)]
    storage.close()
