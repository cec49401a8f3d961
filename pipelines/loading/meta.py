"""Warehouse-side bookkeeping: stream state and original column names live in the raw schema itself.

Keeping them in the warehouse (not the app DB) lets state commit in the same DuckDB transaction as the
rows it describes: a crash can never leave state ahead of, or behind, the data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.duckdb_conn import quote_ident

STATE_TABLE = "_dalgo_state"
COLUMNS_TABLE = "_dalgo_columns"
STAGE_PREFIX = "_dalgo_stage__"
LOADED_AT = "_dalgo_loaded_at"
BATCH_ID = "_dalgo_batch_id"
SYSTEM_COLUMNS = (LOADED_AT, BATCH_ID)
INTERNAL_TABLES = (STATE_TABLE, COLUMNS_TABLE)


def qualified(schema: str, table: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def ensure_schema(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Create the raw schema and its two bookkeeping tables if missing."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, STATE_TABLE)} "
        "(stream VARCHAR PRIMARY KEY, state JSON, updated_at TIMESTAMP)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, COLUMNS_TABLE)} "
        "(table_name VARCHAR, column_name VARCHAR, original_name VARCHAR, type VARCHAR)"
    )


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? AND NOT temporary",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    """{column: DuckDB type} in table order; empty when the table does not exist."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return {name: type_ for name, type_ in rows}


def list_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? AND NOT temporary ORDER BY table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def drop_leftover_stages(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Drop staging tables a killed process may have left (normally they never outlive a transaction)."""
    for name in list_tables(con, schema):
        if name.startswith(STAGE_PREFIX):
            con.execute(f"DROP TABLE IF EXISTS {qualified(schema, name)}")


def get_state(con: duckdb.DuckDBPyConnection, schema: str, stream: str) -> dict[str, Any] | None:
    """The last committed state of `stream`, or None (never synced, or the schema does not exist yet)."""
    if not table_exists(con, schema, STATE_TABLE):
        return None
    row = con.execute(f"SELECT state FROM {qualified(schema, STATE_TABLE)} WHERE stream = ?", [stream]).fetchone()
    if row is None or row[0] is None:
        return None
    value = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return value if isinstance(value, dict) else None


def save_state(con: duckdb.DuckDBPyConnection, schema: str, stream: str, state: dict[str, Any]) -> None:
    """Upsert the state of `stream`; call inside the transaction that commits the matching rows."""
    con.execute(
        f"INSERT INTO {qualified(schema, STATE_TABLE)} VALUES (?, ?, ?) "
        "ON CONFLICT (stream) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        [stream, json.dumps(state, default=str), datetime.now(UTC).replace(tzinfo=None)],
    )


def original_names(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        f"SELECT column_name, original_name FROM {qualified(schema, COLUMNS_TABLE)} WHERE table_name = ?",
        [table],
    ).fetchall()
    return {name: original for name, original in rows if original is not None}


def record_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str, originals: dict[str, str]) -> None:
    """Rewrite the metadata rows of `table` from its current columns; known original names are kept."""
    known = original_names(con, schema, table)
    known.update(originals)
    columns = table_columns(con, schema, table)
    meta = pa.table(
        {
            "table_name": [table] * len(columns),
            "column_name": list(columns),
            "original_name": [known.get(name, name) for name in columns],
            "type": list(columns.values()),
        }
    )
    con.execute(f"DELETE FROM {qualified(schema, COLUMNS_TABLE)} WHERE table_name = ?", [table])
    con.register("_dalgo_columns_meta", meta)
    try:
        con.execute(f"INSERT INTO {qualified(schema, COLUMNS_TABLE)} SELECT * FROM _dalgo_columns_meta")
    finally:
        con.unregister("_dalgo_columns_meta")


def forget_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    con.execute(f"DELETE FROM {qualified(schema, COLUMNS_TABLE)} WHERE table_name = ?", [table])
