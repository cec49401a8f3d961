"""Fixtures shared by engine tests: a throwaway database on the real Postgres at 127.0.0.1:5432."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2 import sql

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"


def _admin_connection() -> psycopg2.extensions.connection:
    """Autocommit connection to the maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=5)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A uniquely named, empty database for the whole run; yields its URL `postgresql://postgres@127.0.0.1:5432/<name>`.

    Unreachable Postgres fails the run when `CI` is set (the server is part of CI) and skips otherwise.
    """
    try:
        admin = _admin_connection()
    except psycopg2.OperationalError as err:
        reason = f"Postgres is not reachable at {PG_HOST}:{PG_PORT} as user {PG_USER}: {str(err).strip()}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so the server must be up)")
        pytest.skip(f"{reason} (start it with: pg_ctlcluster 15 main start)")
    name = f"dalgo_test_{secrets.token_hex(6)}"
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cur:
            # FORCE ends sessions a failed test may have leaked, so the database never lingers.
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()
