"""Recipe engine fixtures: a small messy survey (the kind a field office exports) in DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import duckdb
import pytest

from pipelines.recipes import ColumnType, Recipe, compile_recipe, describe_relation

SURVEY_COLUMNS = [
    ("id", "INTEGER"),
    ("district", "VARCHAR"),
    ("city", "VARCHAR"),
    ("visit", "VARCHAR"),
    ("age", "VARCHAR"),
    ("household", "INTEGER"),
    ("income", "DOUBLE"),
    ("submitted", "TIMESTAMP"),
    ("payload", "VARCHAR"),
    ("tags", "VARCHAR"),
    ("note", "VARCHAR"),
]
SURVEY_ROWS: list[tuple[Any, ...]] = [
    (
        1,
        " North ",
        "Bengaluru",
        "01/02/2024",
        "34",
        4,
        1200.5,
        datetime(2024, 2, 1, 10),
        '{"name": "Asha", "address": {"city": "Pune"}, "items": [{"qty": 2}]}',
        "a,b",
        "  Asha   Devi  ",
    ),
    (
        2,
        "north",
        "bengaluru ",
        "2024-02-03",
        "41",
        3,
        None,
        datetime(2024, 2, 3, 9),
        '{"name": "Ravi", "address": {"city": "Delhi"}, "items": []}',
        "b",
        "ravi",
    ),
    (2, "NORTH", "BENGALURU", "03/02/2024", "forty", 3, 900.0, datetime(2024, 2, 4, 9), None, None, None),
    (
        3,
        "South",
        "Bengalūru",
        "not a date",
        None,
        5,
        3000.0,
        datetime(2024, 2, 5, 12),
        '{"name": "Meena"}',
        "c, d ,e",
        "MEENA k",
    ),
    (4, None, "Bangalore", None, "29", 0, 450.25, None, "{}", "", ""),
]
DISTRICT_COLUMNS = [("district", "VARCHAR"), ("region", "VARCHAR"), ("code", "INTEGER")]
DISTRICT_ROWS = [("North", "N-Region", 1), ("South", "S-Region", 2)]
EXTRA_COLUMNS = [("id", "BIGINT"), ("city", "VARCHAR"), ("source", "VARCHAR")]
EXTRA_ROWS = [(10, "Mysuru", "paper"), (11, None, "paper")]

SURVEY = {"kind": "table", "schema": "raw", "table": "survey"}
DISTRICTS = {"kind": "table", "schema": "lookup", "table": "districts"}
EXTRA = {"kind": "table", "schema": "raw", "table": "extra"}


def create_table(
    con: duckdb.DuckDBPyConnection, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> None:
    schema = name.split(".")[0]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    ddl = ", ".join(f'"{c}" {t}' for c, t in columns)
    con.execute(f"CREATE TABLE {name} ({ddl})")
    if rows:
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """In-memory DuckDB with raw.survey, raw.extra and lookup.districts."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    create_table(connection, "raw.survey", SURVEY_COLUMNS, SURVEY_ROWS)
    create_table(connection, "lookup.districts", DISTRICT_COLUMNS, DISTRICT_ROWS)
    create_table(connection, "raw.extra", EXTRA_COLUMNS, EXTRA_ROWS)
    yield connection
    connection.close()


def recipe(*steps: dict[str, Any], source: dict[str, str] | None = None, name: str = "clean_survey") -> Recipe:
    """A recipe over raw.survey from `{"op": ..., "config": ...}` dicts."""
    return Recipe(name=name, input=source or SURVEY, steps=list(steps))


def as_types(columns: list[tuple[str, str]]) -> list[ColumnType]:
    return [ColumnType(name=n, type=t) for n, t in columns]


SURVEY_TYPES = as_types(SURVEY_COLUMNS)
OTHER_INPUTS = {"lookup.districts": as_types(DISTRICT_COLUMNS), "raw.extra": as_types(EXTRA_COLUMNS)}
RELATIONS = {"lookup.districts": '"lookup"."districts"', "raw.extra": '"raw"."extra"'}


def run(
    con: duckdb.DuckDBPyConnection, rcp: Recipe, upto: int | None = None
) -> tuple[list[ColumnType], list[dict[str, Any]]]:
    """Compile for DuckDB, execute, return the columns DuckDB reports and the rows as dicts."""
    sql = compile_recipe(
        rcp,
        "duckdb",
        input_sql='"raw"."survey"',
        input_columns=describe_relation(con, '"raw"."survey"'),
        upto=upto,
        relations=RELATIONS,
        other_inputs=OTHER_INPUTS,
    )
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    described = con.execute(f"DESCRIBE {sql}").fetchall()
    return [ColumnType(name=r[0], type=r[1]) for r in described], rows


def column(rows: list[dict[str, Any]], name: str) -> list[Any]:
    return [r[name] for r in rows]
