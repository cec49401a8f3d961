"""Loader primitives on a real DuckDB file: type widening, state, column metadata, staging, merge."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from pipelines import loader
from pipelines.connectors.base import ScanReview, SqlScan
from pipelines.duckdb_conn import connect
from pipelines.errors import BadInputError, TerminalError
from pipelines.loading.types import widen

SCHEMA = "raw_test"


@pytest.fixture
def con(tmp_path: Path, extension_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "warehouse.duckdb", extension_dir=extension_dir)
    loader.ensure_schema(connection, SCHEMA)
    yield connection
    connection.close()


@pytest.fixture
def watcher(con: duckdb.DuckDBPyConnection) -> Iterator[loader.CancelWatcher]:
    with loader.CancelWatcher(con, threading.Event()) as running:
        yield running


def stage(
    con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher, data: Any, name: str | None = None
) -> loader.Staged:
    return loader.stage_batch(
        con,
        data,
        sql_name=name or loader.temp_name(),
        temp=name is None,
        batch_id="b1",
        loaded_at=datetime(2024, 1, 1),
        watcher=watcher,
    )


@pytest.mark.parametrize(
    ("old", "new", "wider"),
    [
        ("BIGINT", "BIGINT", "BIGINT"),
        ("INTEGER", "BIGINT", "BIGINT"),
        ("BIGINT", "INTEGER", "BIGINT"),
        ("UBIGINT", "BIGINT", "HUGEINT"),
        ("BIGINT", "DOUBLE", "DOUBLE"),
        ("DECIMAL(18,3)", "BIGINT", "DOUBLE"),
        ("DATE", "TIMESTAMP", "TIMESTAMP"),
        ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"),
        ("VARCHAR", "BIGINT", "VARCHAR"),
        ("BIGINT", "VARCHAR", "VARCHAR"),
        ("BOOLEAN", "BIGINT", "VARCHAR"),
        ("DATE", "DOUBLE", "VARCHAR"),
        ("VARCHAR[]", "VARCHAR", "VARCHAR"),
        ("BIGINT", "NULL", "BIGINT"),
    ],
)
def test_types_only_widen(old: str, new: str, wider: str) -> None:
    assert widen(old, new) == wider


def test_safe_column_names_never_take_the_loader_columns() -> None:
    assert loader.safe_column_names(["_dalgo_loaded_at", "Name", "name", ""]) == [
        "_dalgo_loaded_at_source",
        "name",
        "name_2",
        "column_4",
    ]


def test_state_commits_with_the_transaction(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, extension_dir: Path
) -> None:
    fresh = connect(tmp_path / "other.duckdb", extension_dir=extension_dir)
    assert loader.get_state(fresh, "raw_nothing", "s") is None  # no schema yet: no state, no error
    fresh.close()
    con.begin()
    loader.save_state(con, SCHEMA, "forms", {"page": 1})
    loader.save_state(con, SCHEMA, "forms", {"page": 2})  # upsert twice in one transaction
    con.rollback()
    assert loader.get_state(con, SCHEMA, "forms") is None
    con.begin()
    loader.save_state(con, SCHEMA, "forms", {"page": 3, "since": "2024-01-01"})
    con.commit()
    assert loader.get_state(con, SCHEMA, "forms") == {"page": 3, "since": "2024-01-01"}


def test_record_columns_keeps_original_names(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE {SCHEMA}.t (household_size BIGINT)")
    loader.record_columns(con, SCHEMA, "t", {"household_size": "Household Size"})
    con.execute(f"ALTER TABLE {SCHEMA}.t ADD COLUMN village VARCHAR")
    loader.record_columns(con, SCHEMA, "t", {"village": "Village / Town"})
    assert con.execute(
        f"SELECT column_name, original_name, type FROM {SCHEMA}._dalgo_columns ORDER BY 1"
    ).fetchall() == [
        ("household_size", "Household Size", "BIGINT"),
        ("village", "Village / Town", "VARCHAR"),
    ]


def test_arrow_batch_keeps_original_names_from_field_metadata(
    con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher
) -> None:
    table = loader.with_original_names(pa.table({"age_years": [3], "x": [1]}), {"Age (years)": "age_years"})
    staged = stage(con, watcher, table)
    assert staged.originals == {"age_years": "Age (years)", "x": "x"}
    assert list(staged.columns) == ["age_years", "x", "_dalgo_loaded_at", "_dalgo_batch_id"]
    assert con.execute(f"SELECT _dalgo_batch_id, _dalgo_loaded_at FROM {staged.sql_name}").fetchall() == [
        ("b1", datetime(2024, 1, 1))
    ]


def test_scan_review_can_ask_for_a_retry(con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher) -> None:
    better = SqlScan("SELECT 'two' AS x", review=lambda _con: ScanReview(["second look"]))
    first = SqlScan("SELECT 1 AS x", review=lambda _con: ScanReview(["x is text after row 20000"], retry=better))
    staged = stage(con, watcher, first)
    assert staged.warnings == ["x is text after row 20000", "second look"]
    assert con.execute(f"SELECT x FROM {staged.sql_name}").fetchall() == [("two",)]


def test_scan_prepare_runs_on_the_loader_connection(
    con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher
) -> None:
    con.execute("CREATE TEMP TABLE hints AS SELECT 42 AS answer")

    def prepare(connection: duckdb.DuckDBPyConnection) -> SqlScan:
        row = connection.execute("SELECT answer FROM hints").fetchone()
        return SqlScan(f"SELECT {row[0] if row else 0} AS v")

    staged = stage(con, watcher, SqlScan("SELECT 0 AS v", prepare=prepare))
    assert con.execute(f"SELECT v FROM {staged.sql_name}").fetchall() == [(42,)]


def test_broken_scan_is_a_terminal_error(con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher) -> None:
    with pytest.raises(TerminalError, match="DuckDB could not load the batch"):
        stage(con, watcher, SqlScan("SELECT * FROM read_csv('/nonexistent/file.csv')"))


def test_leftover_stages_are_dropped(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE {SCHEMA}._dalgo_stage__visits AS SELECT 1 AS x")
    con.execute(f"CREATE TABLE {SCHEMA}.visits AS SELECT 1 AS x")
    loader.drop_leftover_stages(con, SCHEMA)
    assert [t for t in loader.list_tables(con, SCHEMA) if not t.startswith("_dalgo_c") and t != "_dalgo_state"] == [
        "visits"
    ]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["2024-01-01", "2024-02-03T10:00:00Z", None], "temporal"),
        (["1", "2.5", "-3"], "numeric"),
    ],
)
def test_cursor_kind_of_text_columns(
    con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher, values: list[Any], kind: str
) -> None:
    staged = stage(con, watcher, pa.table({"c": pa.array(values, type=pa.string())}))
    assert loader.cursor_kind(con, staged, "s", "c") == kind


def test_malformed_cursor_and_missing_cursor(con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher) -> None:
    staged = stage(con, watcher, pa.table({"c": ["2024-01-01", "soon"], "d": [1, 2]}))
    with pytest.raises(BadInputError) as err:
        loader.cursor_kind(con, staged, "visits", "c")
    assert "Stream 'visits'" in err.value.message and "'c'" in err.value.message and "'soon'" in err.value.message
    with pytest.raises(BadInputError, match="'missing' is not in the data") as missing:
        loader.cursor_kind(con, staged, "visits", "missing")
    assert "c, d" in (missing.value.hint or "")


def test_merge_keeps_rows_without_a_key(con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher) -> None:
    first = stage(con, watcher, pa.table({"id": [1, None], "v": ["a", "orphan 1"]}))
    loader.create_like(con, SCHEMA, "t", first)
    target = loader.qualified(SCHEMA, "t")
    con.execute(f"DROP TABLE {loader.merge_into(con, target, first, ['id'], None)}")
    second = stage(con, watcher, pa.table({"id": [1, None, 2, 2], "v": ["a2", "orphan 2", "b1", "b2"]}))
    con.execute(f"DROP TABLE {loader.merge_into(con, target, second, ['id'], None)}")
    assert con.execute(f"SELECT id, v FROM {target} ORDER BY id NULLS LAST, v").fetchall() == [
        (1, "a2"),
        (2, "b2"),  # within a batch, the later row wins
        (None, "orphan 1"),
        (None, "orphan 2"),
    ]


def test_evolve_table_adds_and_widens(con: duckdb.DuckDBPyConnection, watcher: loader.CancelWatcher) -> None:
    con.execute(f"CREATE TABLE {SCHEMA}.t AS SELECT 1::BIGINT AS n, DATE '2024-01-01' AS d, 'x' AS gone")
    staged = stage(con, watcher, pa.table({"n": [1.5], "d": pa.array([datetime(2024, 1, 2, 3)]), "new": [7]}))
    changes = loader.evolve_table(con, loader.qualified(SCHEMA, "t"), "t", staged)
    assert {(c.kind, c.column, c.old_type, c.new_type) for c in changes} == {
        ("type_changed", "n", "BIGINT", "DOUBLE"),
        ("type_changed", "d", "DATE", "TIMESTAMP"),
        ("added", "new", None, "BIGINT"),
        ("removed", "gone", "VARCHAR", None),
    }
    loader.append_into(con, loader.qualified(SCHEMA, "t"), staged)
    assert con.execute(f"SELECT n, d, gone, new FROM {SCHEMA}.t ORDER BY n").fetchall() == [
        (1.0, datetime(2024, 1, 1), "x", None),
        (1.5, datetime(2024, 1, 2, 3), None, 7),
    ]
