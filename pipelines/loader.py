"""DuckDB loader primitives: stage a batch, evolve a table's schema, append / merge / swap, cursors.

Every function runs inside the caller's transaction; `pipelines.ingest` decides where transactions begin
and end. Column types only ever widen (BIGINT → DOUBLE → VARCHAR, DATE → TIMESTAMP), removed columns are
kept (NULL for new rows), so a load never destroys data that is already in the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from pipelines.connectors.base import ScanReview, SqlScan
from pipelines.duckdb_conn import quote_ident
from pipelines.errors import BadInputError
from pipelines.loading.meta import (
    BATCH_ID,
    LOADED_AT,
    STAGE_PREFIX,
    SYSTEM_COLUMNS,
    drop_leftover_stages,
    ensure_schema,
    get_state,
    list_tables,
    qualified,
    record_columns,
    save_state,
    table_columns,
    table_exists,
)
from pipelines.loading.stage import (
    CancelWatcher,
    Staged,
    relation_columns,
    safe_column_names,
    stage_batch,
    temp_name,
    with_original_names,
)
from pipelines.loading.types import (
    NUMERIC,
    TEMPORAL,
    canonical,
    cursor_param_sql,
    cursor_sql,
    is_numeric,
    is_temporal,
    widen,
)

__all__ = [
    "BATCH_ID",
    "LOADED_AT",
    "STAGE_PREFIX",
    "CancelWatcher",
    "ScanReview",
    "SchemaChange",
    "SqlScan",
    "Staged",
    "append_into",
    "create_like",
    "cursor_kind",
    "cursor_max",
    "cursor_param_sql",
    "cursor_sql",
    "delete_children",
    "drop_leftover_stages",
    "ensure_schema",
    "evolve_table",
    "get_state",
    "list_tables",
    "merge_into",
    "qualified",
    "reconcile_full_refresh",
    "record_columns",
    "safe_column_names",
    "save_state",
    "stage_batch",
    "swap_in",
    "table_columns",
    "table_exists",
    "temp_name",
    "with_original_names",
]


@dataclass(frozen=True)
class SchemaChange:
    """One change to a warehouse table, as shown to the user after a sync."""

    table: str
    kind: str  # added | removed | type_changed | renamed
    column: str
    old_type: str | None
    new_type: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "kind": self.kind,
            "column": self.column,
            "old_type": self.old_type,
            "new_type": self.new_type,
            "message": self.message,
        }


def create_like(con: duckdb.DuckDBPyConnection, schema: str, table: str, staged: Staged) -> None:
    """Create an empty `schema.table` with the staged batch's columns and types."""
    con.execute(f"CREATE TABLE {qualified(schema, table)} AS SELECT * FROM {staged.sql_name} LIMIT 0")


def evolve_table(con: duckdb.DuckDBPyConnection, sql_name: str, label: str, staged: Staged) -> list[SchemaChange]:
    """Make `sql_name` able to hold the staged rows: add new columns, widen types; report what changed."""
    existing = relation_columns(con, sql_name)
    changes: list[SchemaChange] = []
    for name, incoming in staged.columns.items():
        if name not in existing:
            con.execute(f"ALTER TABLE {sql_name} ADD COLUMN {quote_ident(name)} {incoming}")
            if name not in SYSTEM_COLUMNS:
                changes.append(SchemaChange(label, "added", name, None, incoming, f"New column '{name}' ({incoming})"))
        elif name not in staged.null_columns:
            change = _widen_column(con, sql_name, label, name, existing[name], incoming)
            changes.extend([change] if change else [])
    removed = [name for name in existing if name not in staged.columns and name not in SYSTEM_COLUMNS]
    for name in removed:
        message = f"Column '{name}' is no longer in the source; kept, NULL for new rows"
        changes.append(SchemaChange(label, "removed", name, existing[name], None, message))
    return _pair_renames(changes, list(existing), list(staged.columns))


def _widen_column(
    con: duckdb.DuckDBPyConnection, sql_name: str, label: str, name: str, old: str, incoming: str
) -> SchemaChange | None:
    new = widen(old, incoming)
    if new == canonical(old):
        return None
    row = con.execute(f"SELECT count({quote_ident(name)}) FROM {sql_name}").fetchone()
    if row is not None and row[0] == 0:
        new = incoming  # nothing stored yet: take the incoming type as is, nothing to protect
    con.execute(f"ALTER TABLE {sql_name} ALTER COLUMN {quote_ident(name)} TYPE {new}")
    message = f"Column '{name}' changed from {old} to {new} (incoming values were {incoming}); no value was lost"
    return SchemaChange(label, "type_changed", name, old, new, message)


def _pair_renames(changes: list[SchemaChange], old: list[str], new: list[str]) -> list[SchemaChange]:
    """One column gone and one new column of the same type at the same position: most likely a rename."""
    added = [c for c in changes if c.kind == "added"]
    removed = [c for c in changes if c.kind == "removed"]
    if len(added) != 1 or len(removed) != 1:
        return changes
    gained, lost = added[0], removed[0]
    same_type = canonical(gained.new_type or "") == canonical(lost.old_type or "")
    if not same_type or _position(old, lost.column) != _position(new, gained.column):
        return changes
    message = f"Column '{lost.column}' looks renamed to '{gained.column}'; the old column is kept (NULL for new rows)"
    renamed = SchemaChange(gained.table, "renamed", gained.column, lost.old_type, gained.new_type, message)
    return [c for c in changes if c not in (gained, lost)] + [renamed]


def _position(columns: list[str], name: str) -> int:
    data_columns = [column for column in columns if column not in SYSTEM_COLUMNS]
    return data_columns.index(name) if name in data_columns else -1


def append_into(con: duckdb.DuckDBPyConnection, sql_name: str, staged: Staged) -> None:
    """Insert the staged rows by column name (missing columns stay NULL)."""
    con.execute(f"INSERT INTO {sql_name} BY NAME SELECT * FROM {staged.sql_name}")


def swap_in(con: duckdb.DuckDBPyConnection, schema: str, stage_table: str, table: str) -> None:
    """Replace `schema.table` by the staging table (same transaction as the load: all or nothing)."""
    con.execute(f"DROP TABLE IF EXISTS {qualified(schema, table)}")
    con.execute(f"ALTER TABLE {qualified(schema, stage_table)} RENAME TO {quote_ident(table)}")


def cursor_kind(con: duckdb.DuckDBPyConnection, staged: Staged, stream: str, cursor: str) -> str:
    """TEMPORAL or NUMERIC; a cursor column holding anything else is a BadInputError with an example."""
    if cursor not in staged.columns:
        columns = ", ".join(name for name in staged.columns if name not in SYSTEM_COLUMNS)
        raise BadInputError(
            f"Stream '{stream}': the cursor column '{cursor}' is not in the data",
            hint=f"pick one of: {columns}",
        )
    type_ = staged.columns[cursor]
    if is_temporal(type_):
        return TEMPORAL
    if is_numeric(type_):
        return NUMERIC
    column = quote_ident(cursor)
    counts = con.execute(
        f"SELECT count({column}), count({cursor_sql(column, TEMPORAL)}), count({cursor_sql(column, NUMERIC)}) "
        f"FROM {staged.sql_name}"
    ).fetchone()
    assert counts is not None
    if counts[0] == counts[1]:
        return TEMPORAL
    if counts[0] == counts[2]:
        return NUMERIC
    bad = con.execute(
        f"SELECT CAST({column} AS VARCHAR) FROM {staged.sql_name} "
        f"WHERE {column} IS NOT NULL AND {cursor_sql(column, TEMPORAL)} IS NULL AND {cursor_sql(column, NUMERIC)} IS NULL "
        "LIMIT 1"
    ).fetchone()
    example = bad[0] if bad else "?"
    raise BadInputError(
        f"Stream '{stream}': cursor column '{cursor}' holds a value that is neither a date nor a number: "
        f"'{example}' ({counts[0] - max(counts[1], counts[2])} such values)",
        hint="fix those values at the source, pick another cursor column, or use full refresh for this stream",
    )


def cursor_max(
    con: duckdb.DuckDBPyConnection, staged: Staged, cursor: str, kind: str, previous: str | None
) -> str | None:
    """The larger of the batch's highest cursor and the previously saved one, as text for the state."""
    expr = cursor_sql(quote_ident(cursor), kind)
    row = con.execute(
        f"SELECT CAST(greatest(max({expr}), {cursor_param_sql(kind)}) AS VARCHAR) FROM {staged.sql_name}",
        [previous],
    ).fetchone()
    return row[0] if row and row[0] is not None else previous


def merge_into(
    con: duckdb.DuckDBPyConnection,
    sql_name: str,
    staged: Staged,
    primary_key: list[str],
    cursor: tuple[str, str] | None,
) -> str:
    """Upsert on the primary key keeping, per key, the row with the latest cursor (within the batch too).

    Rows whose key is NULL cannot be matched and are appended. Returns the name of a temp table holding the
    merged keys (the caller uses it to replace child rows, then drops it).
    """
    keys = [quote_ident(name) for name in primary_key]
    latest = _latest_first(cursor, staged)
    deduped = temp_name("_dalgo_dedup")
    any_null = " OR ".join(f"{key} IS NULL" for key in keys)
    con.execute(
        f"CREATE TEMP TABLE {deduped} AS SELECT * FROM {staged.sql_name} "
        f"QUALIFY ({any_null}) OR row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY {latest}) = 1"
    )
    match = " AND ".join(f"t.{key} = d.{key}" for key in keys)
    newer = _incoming_newer(cursor)
    con.execute(f"DELETE FROM {sql_name} AS t USING {deduped} AS d WHERE {match} AND {newer}")
    con.execute(
        f"INSERT INTO {sql_name} BY NAME SELECT d.* FROM {deduped} AS d "
        f"WHERE ({' OR '.join(f'd.{key} IS NULL' for key in keys)}) "
        f"OR NOT EXISTS (SELECT 1 FROM {sql_name} AS t WHERE {match})"
    )
    merged = temp_name("_dalgo_merged")
    con.execute(
        f"CREATE TEMP TABLE {merged} AS SELECT DISTINCT {', '.join(keys)} FROM {deduped} WHERE NOT ({any_null})"
    )
    con.execute(f"DROP TABLE {deduped}")
    return merged


def _latest_first(cursor: tuple[str, str] | None, staged: Staged) -> str:
    # rowid breaks ties: the later row of the batch wins, as it would have in the source
    if cursor is None:
        return "rowid DESC"
    name, kind = cursor
    return f"{cursor_sql(quote_ident(name), kind)} DESC NULLS LAST, rowid DESC"


def _incoming_newer(cursor: tuple[str, str] | None) -> str:
    if cursor is None:
        return "TRUE"
    name, kind = cursor
    old, new = cursor_sql(f"t.{quote_ident(name)}", kind), cursor_sql(f"d.{quote_ident(name)}", kind)
    return f"({old} IS NULL OR ({new} IS NOT NULL AND {new} >= {old}))"


def delete_children(
    con: duckdb.DuckDBPyConnection, schema: str, child_tables: list[str], merged_keys: str, key: str
) -> None:
    """Drop the child rows of re-loaded parents (their fresh children follow in the same transaction)."""
    for child in child_tables:
        columns = table_columns(con, schema, child)
        if "_dalgo_parent_id" not in columns:
            continue
        parent = "c._dalgo_parent_id"
        con.execute(
            f"DELETE FROM {qualified(schema, child)} AS c USING {merged_keys} AS k "
            f"WHERE {parent} = CAST(k.{quote_ident(key)} AS VARCHAR) "
            f"OR starts_with({parent}, CAST(k.{quote_ident(key)} AS VARCHAR) || '/')"
        )


def reconcile_full_refresh(
    con: duckdb.DuckDBPyConnection, schema: str, stage: str, table: str, null_columns: set[str]
) -> list[SchemaChange]:
    """Before a staged full refresh replaces `table`: keep removed columns, never narrow a type; report changes."""
    old = table_columns(con, schema, table)
    new = table_columns(con, schema, stage)
    stage_sql = qualified(schema, stage)
    changes = [
        SchemaChange(table, "added", name, None, type_, f"New column '{name}' ({type_})")
        for name, type_ in new.items()
        if name not in old
    ]
    for name, old_type in old.items():
        if name not in new:
            con.execute(f"ALTER TABLE {stage_sql} ADD COLUMN {quote_ident(name)} {old_type}")
            if name not in SYSTEM_COLUMNS:
                message = f"Column '{name}' is no longer in the source; kept, NULL for the new rows"
                changes.append(SchemaChange(table, "removed", name, old_type, None, message))
        elif name in null_columns:
            con.execute(f"ALTER TABLE {stage_sql} ALTER COLUMN {quote_ident(name)} TYPE {old_type}")
        else:
            changes.extend(_keep_wider(con, schema, stage_sql, table, name, old_type, new[name]))
    return _pair_renames(changes, list(old), list(new))


def _keep_wider(
    con: duckdb.DuckDBPyConnection, schema: str, stage_sql: str, table: str, name: str, old: str, new: str
) -> list[SchemaChange]:
    wider = widen(old, new)
    if wider == canonical(old) and wider == canonical(new):
        return []
    row = con.execute(f"SELECT count({quote_ident(name)}) FROM {qualified(schema, table)}").fetchone()
    if row is not None and row[0] == 0:
        return []  # the old column held nothing: the new type simply wins
    if wider != canonical(new):
        con.execute(f"ALTER TABLE {stage_sql} ALTER COLUMN {quote_ident(name)} TYPE {wider}")
    if wider == canonical(old):
        return []
    message = f"Column '{name}' changed from {old} to {wider} (new values are {new}); no value was lost"
    return [SchemaChange(table, "type_changed", name, old, wider, message)]
