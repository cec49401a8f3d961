"""The app's vocabulary: a programme officer's words for types, sync modes, roles and counts.

Every page takes its words from here, so "table" means the same thing everywhere and the technical
name (VARCHAR, incremental dedup, primary key) is kept for a tooltip, where an engineer still finds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime


# --- counts ---------------------------------------------------------------------------------------
def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 source', '3 sources', '1,200 rows'; `many` for irregular words ('1 child table' needs none)."""
    return f"{n:,} {word if n == 1 else (many or _plural_of(word))}"


def agree(n: int, one: str, many: str) -> str:
    """The verb that goes with a count: agree(1, 'brings', 'bring') → 'brings'."""
    return one if n == 1 else many


def _plural_of(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


# --- column types ---------------------------------------------------------------------------------
TYPE_NAMES = {
    "text": "text",
    "integer": "whole number",
    "number": "decimal number",
    "date": "date",
    "timestamp": "date and time",
    "time": "time of day",
    "boolean": "yes/no",
    "list": "list",
    "nested": "nested data",
    "binary": "file data",
}
_INTEGER = (
    *("TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"),
    *("UBIGINT", "UHUGEINT", "INT2", "INT4", "INT8", "SERIAL", "BIGSERIAL", "INT64", "LONG"),
)
_NUMBER = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC", "FLOAT4", "FLOAT8", "FLOAT64", "BIGNUMERIC")
_TEXT = ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "UUID", "ENUM", "CHARACTER")


def type_kind(sql_type: str) -> str:
    """A database type name → one of TYPE_NAMES' keys (VARCHAR → text, DECIMAL(10,2) → number)."""
    name = sql_type.strip().upper()
    if name.endswith("[]") or name.startswith(("LIST", "ARRAY")):
        return "list"
    if name.startswith(("STRUCT", "MAP", "JSON", "UNION", "RECORD")):
        return "nested"
    base = re.split(r"[\s(]", name, maxsplit=1)[0]
    if base in _INTEGER:
        return "integer"
    if base in _NUMBER:
        return "number"
    if base.startswith("TIMESTAMP") or base == "DATETIME":
        return "timestamp"
    if base == "DATE":
        return "date"
    if base.startswith("TIME"):
        return "time"
    if base in ("BOOLEAN", "BOOL"):
        return "boolean"
    if base in ("BLOB", "BYTEA", "BYTES", "BIT"):
        return "binary"
    return "text"


def type_name(sql_type: str) -> str:
    """The plain word for a column type: VARCHAR → 'text', BIGINT → 'whole number'."""
    return TYPE_NAMES[type_kind(sql_type)]


def type_tip(sql_type: str) -> str:
    """The tooltip that keeps the technical type for those who need it."""
    return f"{type_name(sql_type).capitalize()} (stored as {sql_type})"


# --- sync modes -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncMode:
    key: str
    label: str
    tip: str


SYNC_MODES = {
    m.key: m
    for m in (
        SyncMode("full_refresh", "Replace everything each time", "Full refresh: every sync reloads the whole table."),
        SyncMode(
            "incremental_append",
            "Add new rows",
            "Incremental, append: each sync adds the rows that changed since the last one; "
            "needs a column that shows what changed.",
        ),
        SyncMode(
            "incremental_dedup",
            "Add new and update changed rows",
            "Incremental, deduplicated: new rows are added and changed rows replace their old version; "
            "needs a column that shows what changed and a unique ID column.",
        ),
    )
}


def sync_mode(key: str) -> str:
    return SYNC_MODES[key].label if key in SYNC_MODES else key.replace("_", " ").capitalize()


def sync_mode_tip(key: str) -> str:
    return SYNC_MODES[key].tip if key in SYNC_MODES else key


# --- source settings and other terms --------------------------------------------------------------
TABLE = "table"  # a source's stream, a warehouse schema's table
CHANGES_COLUMN = "Column that shows what changed"
CHANGES_COLUMN_TIP = "The cursor: a date or number that grows, so a sync can fetch only the changes since the last one."
UNIQUE_ID = "Unique ID column"
UNIQUE_ID_TIP = "The primary key: the column (or columns) that identify a row, so a changed row replaces its old copy."
YOUR_DATA = "your data"
YOUR_DATA_TIP = "Stored in your organisation's warehouse (a DuckDB file on this computer, or a database on the server)."
CLEANED_TABLE = "cleaned table"
CLEANED_TABLE_TIP = "A dbt model: the SQL that builds this table from your data."
THIS_COMPUTER = "this computer"
SHORT_NAME = "short name used in links"
LOOK_FOR_TABLES = "Look for tables"
LOOK_FOR_TABLES_TIP = "Discover: ask the source which tables (streams) and columns it offers."
TURN_INTO_SQL = "Turn into SQL (advanced)…"
TURN_INTO_SQL_TIP = "Eject to SQL: the recipe becomes a dbt model you edit by hand, and the recipe becomes read-only."


def place(schema: str) -> str:
    """Where a table lives, in words: raw_<source> → 'from source <source>', analytics → 'cleaned tables'."""
    if schema.startswith("raw_"):
        return f"from source {schema.removeprefix('raw_')}"
    if schema == "analytics":
        return "cleaned tables"
    return schema


# --- roles ----------------------------------------------------------------------------------------
ROLE_NAMES = {"super-admin": "Super admin", "admin": "Admin", "analyst": "Analyst", "member": "Member"}


def role_name(role: str | None) -> str:
    """The one name of a role, used in the top bar, the Users table, Settings and Home alike."""
    if not role:
        return "No role"
    return ROLE_NAMES.get(role, role.replace("-", " ").capitalize())


# --- times and places -----------------------------------------------------------------------------
def local_time(moment: datetime | None, year: bool = True) -> str:
    """A server time (UTC) in this computer's time zone, as the whole app shows it: '04 Dec 2026 14:55'."""
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%d %b %Y %H:%M" if year else "%d %b %H:%M")


def address(ip: str | None) -> str:
    """Where a sign-in came from: '127.0.0.1' means this computer."""
    if not ip:
        return ""
    return THIS_COMPUTER if ip in ("127.0.0.1", "::1", "localhost", "testclient") else ip
