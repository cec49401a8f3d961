"""One known dataset loaded into each warehouse: DuckDB (temp file), Postgres (throwaway DB), BigQuery (emulator)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelines.duckdb_conn import connect
from pipelines.warehouse import WarehouseClient
from pipelines.warehouse.bigquery import BigQueryWarehouse
from pipelines.warehouse.duckdb import DuckDBWarehouse
from pipelines.warehouse.postgres import PostgresWarehouse
from tests.conftest import EXTENSION_DIR

REPO = Path(__file__).resolve().parents[3]
EMULATOR_SCRIPT = REPO / ".ci" / "bigquery-emulator.sh"
HOSTILE = 'x"; DROP TABLE y; --'

# id, name, city, age, score, joined, active — small enough to reason about by hand in every test.
PEOPLE: list[tuple[Any, ...]] = [
    (1, "Alice", "Pune", 34, 7.5, date(2022, 1, 3), True),
    (2, "Bob", "Delhi", 41, None, date(2022, 1, 10), False),
    (3, "carol", "Pune", 29, 9.0, date(2022, 2, 1), True),
    (4, "Dave", "Goa", 52, 4.25, date(2022, 2, 14), False),
    (5, "Eve", "Pune", 37, 8.0, date(2022, 3, 1), True),
    (6, None, "Delhi", 45, 6.5, date(2022, 3, 1), None),
    (7, "Malak", "Delhi", 33, None, date(2022, 3, 20), True),
    (8, "O'Brien", "Pune", 60, 3.0, date(2022, 4, 2), False),
    (9, "alan", None, 22, 10.0, date(2022, 4, 30), True),
    (10, "Zoe", "Goa", 38, 5.5, None, False),
    (11, "Ayaan", "Pune", 27, 9.5, date(2022, 5, 15), True),
    (12, "Bea", "Delhi", 41, 7.0, date(2022, 6, 1), True),
]


def people_table() -> pa.Table:
    """The PEOPLE rows as Arrow, plus a column whose name tries SQL injection and a UTC timestamp."""
    cols = list(zip(*PEOPLE, strict=True))
    return pa.table(
        {
            "id": pa.array(cols[0], pa.int64()),
            "name": pa.array(cols[1], pa.string()),
            "city": pa.array(cols[2], pa.string()),
            "age": pa.array(cols[3], pa.int64()),
            "score": pa.array(cols[4], pa.float64()),
            "joined": pa.array(cols[5], pa.date32()),
            "active": pa.array(cols[6], pa.bool_()),
            HOSTILE: pa.array([f"v{i % 3}" for i in cols[0]], pa.string()),
            "seen": pa.array([datetime(2023, 1, 1, i, 30, tzinfo=UTC) for i in cols[0]], pa.timestamp("us", "UTC")),
        }
    )


def _unavailable(reason: str) -> None:
    """A missing service fails in CI (it is part of CI) and skips, loudly, on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this service must work)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def bigquery_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The BigQuery emulator (installed by .ci/bigquery-emulator.sh if needed) on free ports with a temp data dir."""
    data_dir = tmp_path_factory.mktemp("bq-emulator")
    port, grpc_port = _free_port(), _free_port()
    command = ["bash", str(EMULATOR_SCRIPT), "start", str(port), str(grpc_port), str(data_dir)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        _unavailable(f"The BigQuery emulator could not start: {err}")
    if done.returncode != 0:
        _unavailable(f"The BigQuery emulator could not start (exit {done.returncode}): {done.stderr[-3000:]}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(EMULATOR_SCRIPT), "stop", str(data_dir)], check=False, timeout=60)


@pytest.fixture(scope="session")
def bigquery_client(bigquery_endpoint: str) -> Iterator[Any]:
    """A real google-cloud-bigquery client pointed at the emulator."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(
        project="local", credentials=AnonymousCredentials(), client_options={"api_endpoint": bigquery_endpoint}
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def duckdb_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    """A DuckDB file opened the way the server opens an org's warehouse."""
    con = connect(tmp_path_factory.mktemp("duckdb") / "warehouse.duckdb", extension_dir=EXTENSION_DIR)
    yield DuckDBWarehouse(con)
    con.close()


@pytest.fixture(scope="session")
def postgres_warehouse(pg_database: str) -> Iterator[PostgresWarehouse]:
    """A client on the session's throwaway Postgres database."""
    warehouse = PostgresWarehouse(pg_database)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def bigquery_warehouse(bigquery_client: Any) -> Iterator[BigQueryWarehouse]:
    """A client on the emulator."""
    yield BigQueryWarehouse(bigquery_client)


@pytest.fixture(
    scope="session",
    params=[
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("bigquery", marks=pytest.mark.bigquery),
    ],
)
def warehouse(request: pytest.FixtureRequest) -> WarehouseClient:
    """Each implementation in turn: the same behaviour suite runs on all three."""
    client: WarehouseClient = request.getfixturevalue(f"{request.param}_warehouse")
    return client


@pytest.fixture(scope="session")
def people(warehouse: WarehouseClient) -> tuple[WarehouseClient, str]:
    """`warehouse` with PEOPLE loaded as `<unique schema>.people`; tests only read it."""
    schema = f"wh_test_{secrets.token_hex(4)}"
    assert warehouse.load_arrow(schema, "people", [people_table()], mode="replace") == len(PEOPLE)
    return warehouse, schema


@pytest.fixture
def scratch_schema() -> str:
    """A fresh schema name for a test that writes."""
    return f"wh_scratch_{secrets.token_hex(4)}"
