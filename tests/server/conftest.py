"""Server test setup: apps built by running the migrations on SQLite and on the real Postgres."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from server.core.config import Settings
from server.main import create_app
from tests.server.factories import Api

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _postgres_or_skip() -> None:
    try:
        psycopg2.connect(PG_ADMIN_DSN, connect_timeout=3).close()
    except psycopg2.OperationalError as err:
        if os.environ.get("CI"):
            pytest.fail(f"Postgres at 127.0.0.1:5432 is required in CI and is unreachable: {err}")
        pytest.skip(f"Postgres at 127.0.0.1:5432 unreachable: {err}")


@pytest.fixture(scope="session")
def pg_app_db() -> Iterator[str]:
    """A fresh Postgres database for the whole session, dropped at the end."""
    _postgres_or_skip()
    name = f"dalgo_test_app_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _truncate_all(app: FastAPI) -> None:
    """Empty the shared Postgres app DB and the org folders, so each test starts from nothing."""
    import shutil

    from server.models import Base

    app.state.storage.close()
    shutil.rmtree(app.state.settings.home / "orgs", ignore_errors=True)

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with app.state.engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))  # a leaked session fails the test instead of hanging it
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture(scope="session")
def _pg_app(pg_app_db: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(
        home=tmp_path_factory.mktemp("pg-home"),
        database_url=pg_app_db,
        mode="hosted",
        allowed_private_hosts=["127.0.0.1"],  # the fake Kobo/ODK/... servers live on loopback
    )
    return create_app(settings, run_migrations=True)


def sqlite_app(home: Path, **overrides: object) -> FastAPI:
    return create_app(Settings(home=home, mode="embedded", **overrides))  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    """The server app on each app DB we support; state is fresh for every test."""
    if request.param == "sqlite":
        yield sqlite_app(tmp_path / "home")
        return
    pg_app: FastAPI = request.getfixturevalue("_pg_app")
    _truncate_all(pg_app)
    yield pg_app
    _truncate_all(pg_app)


@pytest.fixture
def sqlite_only_app(tmp_path: Path) -> FastAPI:
    return sqlite_app(tmp_path / "home")


@pytest.fixture
def api(app: FastAPI) -> Iterator[Api]:
    with TestClient(app) as client:
        yield Api(client)
