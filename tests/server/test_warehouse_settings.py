"""An org can make a Postgres database its primary warehouse; the explorer then reads it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.server.conftest import PG_ADMIN_DSN, _postgres_or_skip
from tests.server.factories import Api


@pytest.fixture
def api(sqlite_only_app: FastAPI) -> Iterator[Api]:
    with TestClient(sqlite_only_app) as client:
        yield Api(client)


@pytest.fixture
def warehouse_db() -> Iterator[str]:
    _postgres_or_skip()
    name = f"dalgo_test_wh_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    with psycopg2.connect(f"host=127.0.0.1 user=postgres dbname={name}") as con, con.cursor() as cur:
        cur.execute("CREATE SCHEMA raw_survey; CREATE TABLE raw_survey.visits (id int primary key, district text)")
        cur.execute("INSERT INTO raw_survey.visits VALUES (1, 'north'), (2, 'south'), (3, 'north')")
    try:
        yield name
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgres_warehouse_is_browsed_and_its_password_never_returned(api: Api, warehouse_db: str) -> None:
    admin = api.setup()
    config: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 5432,
        "dbname": warehouse_db,
        "user": "postgres",
        "password": "pw-not-needed-here",
    }
    r = api.client.put("/api/v1/warehouse", json={"kind": "postgres", "config": config}, headers=admin.headers())
    assert r.status_code == 200, r.text
    assert r.json()["config"]["password"] == "********"
    tables = api.client.get("/api/v1/warehouse/tables", params={"schema": "raw_survey"}, headers=admin.headers()).json()
    assert [t["name"] for t in tables["items"]] == ["visits"]
    rows = api.client.get(
        "/api/v1/warehouse/tables/raw_survey/visits/rows", params={"sort": "-id"}, headers=admin.headers()
    ).json()
    assert rows["total"] == 3 and rows["rows"][0][0] == 3
    distinct = api.client.get(
        "/api/v1/warehouse/tables/raw_survey/visits/distinct", params={"column": "district"}, headers=admin.headers()
    ).json()
    assert distinct["items"][0] == {"value": "north", "count": 2}


def test_unreachable_warehouse_is_refused_with_its_reason_and_nothing_changes(api: Api) -> None:
    admin = api.setup()
    bad = {"host": "127.0.0.1", "port": 1, "dbname": "x", "user": "postgres"}
    r = api.client.put("/api/v1/warehouse", json={"kind": "postgres", "config": bad}, headers=admin.headers())
    assert r.status_code in (400, 503)
    assert api.client.get("/api/v1/warehouse", headers=admin.headers()).json()["kind"] == "duckdb"
    r = api.client.put("/api/v1/warehouse", json={"kind": "oracle", "config": {}}, headers=admin.headers())
    assert r.status_code == 400 and "duckdb, postgres or bigquery" in r.json()["detail"]


def test_local_warehouse_stays_browsable_when_postgres_is_primary(api: Api, warehouse_db: str) -> None:
    from tests.server.test_recipes_api import load_csv

    admin = api.setup()
    schema = load_csv(api, admin)
    config = {"host": "127.0.0.1", "port": 5432, "dbname": warehouse_db, "user": "postgres"}
    assert (
        api.client.put(
            "/api/v1/warehouse", json={"kind": "postgres", "config": config}, headers=admin.headers()
        ).status_code
        == 200
    )
    primary = api.client.get("/api/v1/warehouse/tables", headers=admin.headers()).json()["items"]
    local = api.client.get("/api/v1/warehouse/tables", params={"warehouse": "local"}, headers=admin.headers()).json()[
        "items"
    ]
    assert schema not in {t["schema"] for t in primary}
    assert schema in {t["schema"] for t in local}
    described = api.client.get("/api/v1/warehouse", headers=admin.headers()).json()
    assert described["kind"] == "postgres" and described["local"]["kind"] == "duckdb"
