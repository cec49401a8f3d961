"""Postgres connector against the real server at 127.0.0.1:5432 (a throwaway database per run)."""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
import psycopg2
import pyarrow as pa
import pytest

from pipelines.connectors import get_connector
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.postgres import PostgresConnector
from pipelines.duckdb_conn import connect
from pipelines.errors import AuthError, BadInputError, Cancelled, ConfigError, TerminalError, TransientError
from pipelines.ingest import run_sync

pytestmark = pytest.mark.postgres

WEIRD_TABLE = 'x"; DROP TABLE y; --'

SCHEMA_SQL = """
CREATE TABLE people (
    id serial PRIMARY KEY, name text NOT NULL, amount numeric(10,2), score float8, active bool,
    born date, updated_at timestamptz, created timestamp, tags text[], meta jsonb, uid uuid, photo bytea, note text
);
INSERT INTO people (name, amount, score, active, born, updated_at, created, tags, meta, uid, photo, note) VALUES
 ('Asha', 12.50, 1.5, true, '1990-05-01', '2024-01-01 10:00:00+02', '2024-01-01 08:00:00', '{a,"b c"}', '{"k": [1, 2]}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x0102', 'NA'),
 ('Bo, "the" second', NULL, NULL, false, NULL, NULL, NULL, '{}', NULL, NULL, NULL, ''),
 ('Chidi', 99999999.99, -0.25, NULL, '2000-02-29', '2024-03-01 00:00:00.123456+00', NULL, NULL, '[]', NULL, NULL, E'line1\\nline2');
CREATE VIEW adults AS SELECT id, name, born FROM people WHERE born < '2005-01-01';
CREATE TABLE events (id int PRIMARY KEY, ts timestamp NOT NULL, label text);
INSERT INTO events SELECT g, timestamp '2024-01-01' + ((g + 1) / 3) * interval '1 hour', 'e' || g FROM generate_series(1, 10) g;
CREATE TABLE y (id int);
INSERT INTO y VALUES (1);
CREATE SCHEMA field;
CREATE TABLE field."x""; DROP TABLE y; --" ("we""ird col" text, n int);
INSERT INTO field."x""; DROP TABLE y; --" VALUES ('ok', 1);
CREATE TABLE side_effects (n int);
CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'INSERT INTO side_effects VALUES (1) RETURNING n';
"""


@pytest.fixture(scope="module")
def pg_url(pg_database: str) -> str:
    conn = psycopg2.connect(pg_database)
    with conn, conn.cursor() as cur:
        cur.execute(SCHEMA_SQL)
    conn.close()
    return pg_database


@pytest.fixture
def config(pg_url: str) -> dict[str, Any]:
    url = urlparse(pg_url)
    return {
        "host": url.hostname,
        "port": url.port,
        "database": url.path.lstrip("/"),
        "user": url.username,
        "password": "",
        "sslmode": "disable",
        "schemas": ["public", "field"],
    }


def execute(pg_url: str, statement: str) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(pg_url)
    with conn, conn.cursor() as cur:
        cur.execute(statement)
        rows = cur.fetchall() if cur.description else []
    conn.close()
    return rows


def read_all(
    config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None = None, batch_rows: int = 50_000
) -> list[Batch]:
    return list(PostgresConnector().read(config, stream, state, ReadContext(batch_rows=batch_rows)))


def arrow(batch: Batch) -> pa.Table:
    """The batch's rows: the Postgres connector always hands Arrow tables to the loader."""
    assert isinstance(batch.data, pa.Table)
    return batch.data


def rows(batches: list[Batch]) -> list[dict[str, Any]]:
    return pa.concat_tables([arrow(b) for b in batches]).to_pylist() if batches else []


def test_registry_and_spec_mask_the_password() -> None:
    connector = get_connector("postgres")
    assert isinstance(connector, PostgresConnector)
    props = connector.spec()["properties"]
    assert props["password"]["writeOnly"] is True and props["password"]["format"] == "password"
    assert props["sslmode"]["enum"] == ["disable", "prefer", "require", "verify-full"]
    assert props["sslmode"]["default"] == "prefer"


def test_check_passes_on_a_reachable_database(config: dict[str, Any]) -> None:
    PostgresConnector().check(config, ReadContext())


def test_check_names_a_missing_schema(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="no schema 'nowhere'"):
        PostgresConnector().check({**config, "schemas": ["public", "nowhere"]}, ReadContext())


def test_unreachable_host_says_which_host_and_port(config: dict[str, Any]) -> None:
    with socket.socket() as sock:  # bound, never listening: a closed local port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(TransientError, match=f"could not reach 127.0.0.1:{port}") as info:
            PostgresConnector().check({**config, "port": port}, ReadContext())
    assert info.value.hint and "server is running" in info.value.hint


def test_unknown_user_is_an_auth_error(config: dict[str, Any]) -> None:
    with pytest.raises(AuthError, match="Postgres rejected the user/password for user 'nobody_here'"):
        PostgresConnector().check({**config, "user": "nobody_here"}, ReadContext())


def test_unknown_database_is_named(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="has no database 'no_such_db_here'"):
        PostgresConnector().check({**config, "database": "no_such_db_here"}, ReadContext())


@pytest.fixture
def password_rejecting_server() -> Iterator[int]:
    """Speaks just enough of the Postgres protocol to ask for a password and reject it (SQLSTATE 28P01).

    The real server here trusts every local connection, so it never rejects a password.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                _reject_password(conn)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def _reject_password(conn: socket.socket) -> None:
    while True:
        length, code = struct.unpack("!ii", conn.recv(8))
        conn.recv(length - 8)
        if code in (80877103, 80877104):  # SSL / GSS encryption request: "no"
            conn.sendall(b"N")
            continue
        conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        conn.recv(1024)
        fields = b'SFATAL\x00VFATAL\x00C28P01\x00Mpassword authentication failed for user "dalgo"\x00\x00'
        conn.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
        return


def test_wrong_password_is_an_auth_error_with_a_hint(config: dict[str, Any], password_rejecting_server: int) -> None:
    bad = {**config, "port": password_rejecting_server, "user": "dalgo", "password": "wrong"}
    with pytest.raises(AuthError, match="Postgres rejected the user/password") as info:
        PostgresConnector().check(bad, ReadContext())
    assert info.value.hint == "edit the source and check the user name and password"


def test_discover_lists_tables_views_types_keys_and_cursors(config: dict[str, Any]) -> None:
    streams = {s.name: s for s in PostgresConnector().discover(config, ReadContext())}
    assert {"people", "adults", "events", "y", "side_effects", f"field.{WEIRD_TABLE}"} <= set(streams)
    people = streams["people"]
    types = {c.name: c.type for c in people.columns}
    assert types == {
        "id": "INTEGER", "name": "VARCHAR", "amount": "DECIMAL(10,2)", "score": "DOUBLE", "active": "BOOLEAN",
        "born": "DATE", "updated_at": "TIMESTAMP WITH TIME ZONE", "created": "TIMESTAMP", "tags": "VARCHAR",
        "meta": "JSON", "uid": "UUID", "photo": "VARCHAR", "note": "VARCHAR",
    }  # fmt: skip
    assert people.primary_key == ["id"]
    assert people.cursor_candidates == ["id", "born", "updated_at", "created"]
    assert people.default_cursor == "updated_at"
    assert SyncMode.incremental_dedup in people.supported_sync_modes
    assert streams["adults"].primary_key == [] and streams["adults"].description == "Postgres view"
    weird = streams[f"field.{WEIRD_TABLE}"]
    assert [(c.name, c.original_name) for c in weird.columns] == [("we_ird_col", 'we"ird col'), ("n", "n")]


def test_full_refresh_keeps_values_exact(config: dict[str, Any]) -> None:
    batches = read_all(config, ConfiguredStream("people"))
    assert [b.state for b in batches] == [None]
    got = {r["id"]: r for r in rows(batches)}
    assert got[1]["note"] == "NA" and got[2]["note"] == "" and got[3]["note"] == "line1\nline2"
    assert got[2]["name"] == 'Bo, "the" second' and got[2]["amount"] is None
    assert got[3]["amount"] == Decimal("99999999.99")
    assert got[1]["updated_at"] == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    assert got[1]["created"] == datetime(2024, 1, 1, 8, 0)
    assert got[1]["tags"] == '["a","b c"]' and got[2]["tags"] == "[]" and got[3]["tags"] is None
    assert got[1]["meta"] == '{"k": [1, 2]}' and got[1]["photo"] == "0102"
    assert got[1]["active"] is True and got[3]["active"] is None


def test_a_hostile_table_name_is_just_a_table(config: dict[str, Any], pg_url: str) -> None:
    assert rows(read_all(config, ConfiguredStream(f"field.{WEIRD_TABLE}"))) == [{"we_ird_col": "ok", "n": 1}]
    assert execute(pg_url, "SELECT count(*) FROM y") == [(1,)]


def incremental(cursor: str = "ts") -> ConfiguredStream:
    return ConfiguredStream("events", SyncMode.incremental_append, cursor_field=cursor, primary_key=["id"])


def test_incremental_never_splits_equal_cursor_values_across_batches(config: dict[str, Any]) -> None:
    batches = read_all(config, incremental(), batch_rows=2)
    assert sorted(r["id"] for r in rows(batches)) == list(range(1, 11))
    for before, after in itertools.pairwise(batches):
        assert arrow(before)["ts"][-1] != arrow(after)["ts"][0]
    assert batches[-1].state == {"cursor_field": "ts", "cursor": "2024-01-01T03:00:00"}


def test_resuming_from_any_committed_batch_loses_and_repeats_nothing(config: dict[str, Any]) -> None:
    batches = read_all(config, incremental(), batch_rows=2)
    for k, committed in enumerate(batches):
        done = [r["id"] for r in rows(batches[: k + 1])]
        rest = [r["id"] for r in rows(read_all(config, incremental(), committed.state, batch_rows=2))]
        assert sorted(done + rest) == list(range(1, 11)), f"resuming after batch {k}"


def test_incremental_picks_up_only_new_rows(config: dict[str, Any], pg_url: str) -> None:
    state = read_all(config, incremental("id"))[-1].state
    assert state == {"cursor_field": "id", "cursor": 10}
    execute(pg_url, "INSERT INTO events VALUES (11, '2024-02-01', 'new')")
    try:
        assert [r["label"] for r in rows(read_all(config, incremental("id"), state))] == ["new"]
    finally:
        execute(pg_url, "DELETE FROM events WHERE id = 11")


def test_incremental_needs_a_real_cursor_column(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="'nope' is not one of its columns"):
        read_all(config, incremental("nope"))


def test_malformed_saved_cursor_value_is_a_clear_error(config: dict[str, Any]) -> None:
    with pytest.raises(
        BadInputError, match=r"Stream 'events': the saved cursor value 'yesterday-ish' is not a valid timestamp"
    ) as info:
        read_all(config, incremental(), {"cursor_field": "ts", "cursor": "yesterday-ish"})
    assert info.value.hint and "full refresh" in info.value.hint


def with_queries(config: dict[str, Any], *queries: tuple[str, str]) -> dict[str, Any]:
    return {**config, "queries": [{"name": n, "sql": q} for n, q in queries]}


def test_custom_query_stream_discovers_and_reads_incrementally(config: dict[str, Any]) -> None:
    cfg = with_queries(
        config, ("recent", "SELECT id, label, ts AS seen FROM events WHERE label LIKE 'e%' -- trailing comment\n;")
    )
    stream = next(s for s in PostgresConnector().discover(cfg, ReadContext()) if s.name == "recent")
    assert [(c.name, c.type) for c in stream.columns] == [
        ("id", "INTEGER"),
        ("label", "VARCHAR"),
        ("seen", "TIMESTAMP"),
    ]
    assert stream.cursor_candidates == ["seen"] and stream.description == "Postgres query"
    configured = ConfiguredStream("recent", SyncMode.incremental_append, cursor_field="seen")
    state = {"cursor_field": "seen", "cursor": "2024-01-01T02:00:00"}
    assert sorted(r["id"] for r in rows(read_all(cfg, configured, state))) == [8, 9, 10]


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM events",
        "SELECT 1; DROP TABLE events",
        "WITH gone AS (DELETE FROM events RETURNING *) SELECT * FROM gone",
        "SELECT * INTO copy_of_events FROM events",
        "SELECT * FROM events FOR UPDATE",
        "UPDATE events SET label = 'x' RETURNING *",
    ],
)
def test_non_select_custom_query_is_refused(config: dict[str, Any], pg_url: str, query: str) -> None:
    with pytest.raises(ConfigError, match="Query stream 'bad'") as info:
        PostgresConnector().check(with_queries(config, ("bad", query)), ReadContext())
    assert info.value.hint and "SELECT" in info.value.hint
    assert execute(pg_url, "SELECT count(*) FROM events") == [(10,)]


def test_a_select_that_writes_through_a_function_is_stopped_by_the_server(config: dict[str, Any], pg_url: str) -> None:
    cfg = with_queries(config, ("sneaky", "SELECT sneaky() AS n"))
    with pytest.raises(TerminalError, match="read-only transaction"):
        read_all(cfg, ConfiguredStream("sneaky"))
    assert execute(pg_url, "SELECT count(*) FROM side_effects") == [(0,)]


def test_table_dropped_between_discover_and_read(config: dict[str, Any], pg_url: str) -> None:
    execute(pg_url, "CREATE TABLE shortlived (id int)")
    assert "shortlived" in {s.name for s in PostgresConnector().discover(config, ReadContext())}
    execute(pg_url, "DROP TABLE shortlived")
    with pytest.raises(ConfigError, match="Stream 'shortlived': no table or view") as info:
        read_all(config, ConfiguredStream("shortlived"))
    assert info.value.hint == "run Discover again and update the selected streams"


def test_cancel_stops_the_read_and_releases_the_connection(config: dict[str, Any], pg_url: str) -> None:
    execute(pg_url, "CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 20000) g")
    ctx = ReadContext(batch_rows=100)
    reader = PostgresConnector().read(config, ConfiguredStream("big"), None, ctx)
    assert arrow(next(reader)).num_rows == 100
    ctx.cancel_event.set()
    with pytest.raises(Cancelled):
        next(reader)
    assert wait_for_no_sessions(pg_url), "the connector's connection is still open after cancel"


def wait_for_no_sessions(pg_url: str) -> bool:
    """The server drops a closed session a moment after the client goes; wait for that, up to 5 s."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dalgo' AND datname = current_database()"
    deadline = time.monotonic() + 5
    while execute(pg_url, query) != [(0,)]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def warehouse(tmp_path: Path, extension_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path / "warehouse.duckdb", extension_dir=extension_dir)
    yield con
    con.close()


def test_sync_into_duckdb_keeps_types_and_resumes_incrementally(
    config: dict[str, Any], pg_url: str, warehouse: duckdb.DuckDBPyConnection
) -> None:
    streams = [ConfiguredStream("people"), incremental("id"), ConfiguredStream(f"field.{WEIRD_TABLE}")]
    result = run_sync(
        PostgresConnector(),
        config,
        streams,
        con=warehouse,
        schema="raw_pg",
        ctx=ReadContext(batch_rows=3),
        batch_id="b1",
    )
    assert {name: r.rows for name, r in result.streams.items()} == {
        "people": 3,
        "events": 10,
        f"field.{WEIRD_TABLE}": 1,
    }
    types = dict(
        warehouse.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'raw_pg' AND table_name = 'people'"
        ).fetchall()
    )
    assert (
        types["amount"] == "DECIMAL(10,2)"
        and types["updated_at"] == "TIMESTAMP WITH TIME ZONE"
        and types["born"] == "DATE"
    )
    execute(pg_url, "INSERT INTO events VALUES (12, '2024-02-02', 'later')")
    try:
        second = run_sync(
            PostgresConnector(),
            config,
            [incremental("id")],
            con=warehouse,
            schema="raw_pg",
            ctx=ReadContext(),
            batch_id="b2",
        )
    finally:
        execute(pg_url, "DELETE FROM events WHERE id = 12")
    assert second.streams["events"].rows == 1
    assert warehouse.execute("SELECT count(*), count(DISTINCT id) FROM raw_pg.events").fetchall() == [(11, 11)]
