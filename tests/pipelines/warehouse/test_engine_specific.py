"""What only one or two engines need: DuckDB file access and threads, views, read-only transactions, the factory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.errors import ConfigError, TransientError
from pipelines.warehouse import (
    Filter,
    QueryNotAllowed,
    SortKey,
    UnknownTable,
    WarehouseError,
    open_warehouse,
)
from pipelines.warehouse.duckdb import DuckDBWarehouse
from pipelines.warehouse.postgres import PostgresWarehouse
from tests.conftest import EXTENSION_DIR
from tests.pipelines.warehouse.conftest import PEOPLE, people_table


@pytest.fixture
def duck(tmp_path: Path) -> DuckDBWarehouse:
    warehouse = open_warehouse("duckdb", {"path": tmp_path / "org.duckdb", "extension_dir": EXTENSION_DIR})
    assert isinstance(warehouse, DuckDBWarehouse)
    warehouse.load_arrow("raw_kobo", "people", [people_table()])
    return warehouse


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM raw_kobo.people JOIN read_text('/etc/hostname') ON true",
        "ATTACH '/tmp/other.duckdb' AS other",
        "COPY raw_kobo.people TO '/tmp/leak.csv'",
        "PRAGMA database_list",
        "SET threads = 1",
    ],
)
def test_duckdb_query_cannot_reach_the_disk(duck: DuckDBWarehouse, sql: str) -> None:
    with pytest.raises((QueryNotAllowed, UnknownTable)):
        duck.query(sql)


def test_duckdb_query_may_use_ctes_and_series(duck: DuckDBWarehouse) -> None:
    sql = "WITH n AS (SELECT * FROM range(3) r(i)) SELECT COUNT(*) FROM n, raw_kobo.people"
    assert duck.query(sql).rows == [[3 * len(PEOPLE)]]


def test_writes_the_parser_lets_through_are_stopped_by_the_read_only_transaction(duck: DuckDBWarehouse) -> None:
    con = duck._con
    con.execute("CREATE SEQUENCE raw_kobo.ticket START 1")
    with pytest.raises(WarehouseError, match="read-only"):
        duck.query("SELECT nextval('raw_kobo.ticket')")
    assert con.execute("SELECT nextval('raw_kobo.ticket')").fetchone() == (1,)


def test_postgres_read_only_transaction_stops_nextval(pg_database: str) -> None:
    warehouse = PostgresWarehouse(pg_database)
    try:
        warehouse.load_arrow("wh_seq", "people", [people_table()])
        _execute(warehouse, "CREATE SEQUENCE wh_seq.ticket")
        with pytest.raises(WarehouseError, match="read-only"):
            warehouse.query("SELECT nextval('wh_seq.ticket')")
        with warehouse._connection(readonly=False) as conn, conn.cursor() as cur:
            cur.execute("SELECT nextval('wh_seq.ticket')")
            assert cur.fetchone() == (1,)
    finally:
        warehouse.close()


def _execute(warehouse: DuckDBWarehouse | PostgresWarehouse, sql: str) -> None:
    """DDL the explorer itself never runs (views come from dbt models in real life)."""
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse._con.execute(sql)
        return
    with warehouse._connection(readonly=False) as conn, conn.cursor() as cur:
        cur.execute(sql)
        conn.commit()


def test_views_are_listed_and_browsable(duck: DuckDBWarehouse, pg_database: str) -> None:
    pg = PostgresWarehouse(pg_database)
    try:
        pg.load_arrow("wh_views", "people", [people_table()])
        for warehouse, schema in ((duck, "raw_kobo"), (pg, "wh_views")):
            _execute(
                warehouse, f"CREATE VIEW {schema}.pune AS SELECT id, name FROM {schema}.people WHERE city = 'Pune'"
            )
            kinds = {t.name: (t.kind, t.rows) for t in warehouse.list_tables(schema)}
            assert kinds == {"people": ("table", len(PEOPLE)), "pune": ("view", None)}
            assert warehouse.count(schema, "pune") == 5
            assert warehouse.preview(schema, "pune", limit=1, sort=[SortKey("id")]).rows == [[1, "Alice"]]
    finally:
        pg.close()


def test_duckdb_client_is_safe_across_threads(duck: DuckDBWarehouse) -> None:
    def page(offset: int) -> list[int]:
        rows = duck.preview(
            "raw_kobo", "people", limit=2, offset=offset, sort=[SortKey("id")], filters=[Filter("id", "gt", 0)]
        ).rows
        return [r[0] for r in rows]

    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(pool.map(page, [0, 2, 4, 6, 8, 10] * 4))
    assert pages[:6] == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]
    assert pages[6:12] == pages[:6]


def test_duckdb_client_leaves_a_connection_it_was_given_open(tmp_path: Path) -> None:
    from pipelines.duckdb_conn import connect

    con = connect(tmp_path / "w.duckdb", extension_dir=EXTENSION_DIR)
    warehouse = open_warehouse("duckdb", {}, connection=con)
    warehouse.load_arrow("s", "t", [pa.table({"a": [1]})])
    warehouse.close()
    assert con.execute("SELECT a FROM s.t").fetchall() == [(1,)]
    con.close()


def test_factory_rejects_unknown_kinds_and_missing_settings() -> None:
    with pytest.raises(ConfigError, match="Unknown warehouse kind 'snowflake'"):
        open_warehouse("snowflake", {})
    with pytest.raises(ConfigError, match="path"):
        open_warehouse("duckdb", {})
    with pytest.raises(ConfigError, match="host"):
        open_warehouse("postgres", {"user": "x"})
    with pytest.raises(ConfigError, match="not valid JSON"):
        open_warehouse("bigquery", {"project": "p", "credentials_json": "{not json"})


def test_unreachable_postgres_is_a_transient_error() -> None:
    warehouse = open_warehouse("postgres", {"host": "127.0.0.1", "port": 1, "dbname": "nothing", "user": "postgres"})
    with pytest.raises(TransientError, match="Could not reach the Postgres warehouse"):
        warehouse.list_schemas()


def test_percent_signs_in_postgres_names_survive_parameter_binding(pg_database: str) -> None:
    warehouse = PostgresWarehouse(pg_database)
    try:
        warehouse.load_arrow("wh_pct", "rates", [pa.table({"growth %": [1.5, 2.5], "label": ["a%", "b"]})])
        page = warehouse.preview(
            "wh_pct", "rates", filters=[Filter("label", "contains", "%")], sort=[SortKey("growth %")]
        )
        assert page.rows == [[1.5, "a%"]]
        assert warehouse.query("SELECT label FROM wh_pct.rates WHERE label LIKE 'a%'").rows == [["a%"]]
    finally:
        warehouse.close()
