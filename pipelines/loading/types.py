"""DuckDB type widening (a column's type only ever widens, so no load destroys data) and cursor expressions."""

from __future__ import annotations

import re

from pipelines.duckdb_conn import quote_ident

# Rank of integer types by the range they hold; unsigned types map to the signed type that holds them.
_INT_RANK = {
    "TINYINT": 1,
    "UTINYINT": 2,
    "SMALLINT": 2,
    "USMALLINT": 3,
    "INTEGER": 3,
    "UINTEGER": 4,
    "BIGINT": 4,
    "UBIGINT": 5,
    "HUGEINT": 5,
}
_SIGNED_BY_RANK = {1: "TINYINT", 2: "SMALLINT", 3: "INTEGER", 4: "BIGINT", 5: "HUGEINT"}
_FLOATS = {"FLOAT", "DOUBLE", "REAL"}
_TIMESTAMPS = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME"}
_TIMESTAMP_TZ = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}
_DECIMAL = re.compile(r"^DECIMAL\(\d+,\s*\d+\)$")

TEMPORAL = "temporal"
NUMERIC = "numeric"


def canonical(type_name: str) -> str:
    """Upper-case, single-spaced type name as DuckDB prints it."""
    return " ".join(type_name.upper().split())


def is_integer(type_name: str) -> bool:
    return canonical(type_name) in _INT_RANK


def is_numeric(type_name: str) -> bool:
    name = canonical(type_name)
    return name in _INT_RANK or name in _FLOATS or bool(_DECIMAL.match(name))


def is_temporal(type_name: str) -> bool:
    name = canonical(type_name)
    return name == "DATE" or name in _TIMESTAMPS or name in _TIMESTAMP_TZ


def widen(existing: str, incoming: str) -> str:
    """The narrowest type holding every value of both types; VARCHAR when nothing else fits."""
    old, new = canonical(existing), canonical(incoming)
    if old == new or new == "NULL":
        return old
    if old == "NULL":
        return new
    if old in _INT_RANK and new in _INT_RANK:
        return _SIGNED_BY_RANK[max(_INT_RANK[old], _INT_RANK[new])]
    if is_numeric(old) and is_numeric(new):
        return "DOUBLE"
    if is_temporal(old) and is_temporal(new):
        return "TIMESTAMP WITH TIME ZONE" if {old, new} & _TIMESTAMP_TZ else "TIMESTAMP"
    return "VARCHAR"


def cursor_sql(column_sql: str, kind: str) -> str:
    """A comparable expression for a cursor column, whatever its stored type (dates as text included)."""
    target = "TIMESTAMP WITH TIME ZONE" if kind == TEMPORAL else "DOUBLE"
    return f"TRY_CAST({column_sql} AS {target})"


def cursor_param_sql(kind: str) -> str:
    """The placeholder for a saved cursor value, cast like `cursor_sql`."""
    return "CAST(? AS TIMESTAMP WITH TIME ZONE)" if kind == TEMPORAL else "CAST(? AS DOUBLE)"


def col(name: str, alias: str | None = None) -> str:
    """Quoted (optionally qualified) column reference."""
    return f"{alias}.{quote_ident(name)}" if alias else quote_ident(name)
