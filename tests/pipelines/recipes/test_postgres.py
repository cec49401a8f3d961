"""The Postgres dialect on the real Postgres: every operation case gives the same result as on DuckDB,
and a multi-step cleaning recipe runs end to end."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import psycopg2
import pytest
from psycopg2 import sql as pgsql

from pipelines.recipes import compile_recipe
from tests.pipelines.recipes.cases import CASES, OpCase
from tests.pipelines.recipes.conftest import (
    DISTRICT_COLUMNS,
    DISTRICT_ROWS,
    EXTRA_COLUMNS,
    EXTRA_ROWS,
    OTHER_INPUTS,
    SURVEY_COLUMNS,
    SURVEY_ROWS,
    SURVEY_TYPES,
    recipe,
    run,
)

pytestmark = pytest.mark.postgres
PG_TYPES = {
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "VARCHAR": "TEXT",
    "DOUBLE": "DOUBLE PRECISION",
    "TIMESTAMP": "TIMESTAMP",
}
PG_RELATIONS = {"lookup.districts": '"recipes_lookup"."districts"', "raw.extra": '"recipes_raw"."extra"'}


def _load(cur: Any, schema: str, table: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
    cur.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(schema)))
    cur.execute(pgsql.SQL("DROP TABLE IF EXISTS {}.{}").format(pgsql.Identifier(schema), pgsql.Identifier(table)))
    ddl = pgsql.SQL(", ").join(
        pgsql.SQL("{} {}").format(pgsql.Identifier(c), pgsql.SQL(PG_TYPES[t])) for c, t in columns
    )
    cur.execute(pgsql.SQL("CREATE TABLE {}.{} ({})").format(pgsql.Identifier(schema), pgsql.Identifier(table), ddl))
    insert = pgsql.SQL("INSERT INTO {}.{} VALUES ({})").format(
        pgsql.Identifier(schema), pgsql.Identifier(table), pgsql.SQL(", ").join(pgsql.Placeholder() * len(columns))
    )
    cur.executemany(insert, rows)


@pytest.fixture(scope="module")
def pg(pg_database: str) -> Iterator[Any]:
    conn = psycopg2.connect(pg_database)
    conn.autocommit = True
    with conn.cursor() as cur:
        _load(cur, "recipes_raw", "survey", SURVEY_COLUMNS, SURVEY_ROWS)
        _load(cur, "recipes_raw", "extra", EXTRA_COLUMNS, EXTRA_ROWS)
        _load(cur, "recipes_lookup", "districts", DISTRICT_COLUMNS, DISTRICT_ROWS)
    yield conn
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA recipes_raw CASCADE; DROP SCHEMA recipes_lookup CASCADE")
    conn.close()


def run_pg(conn: Any, sql: str) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(sql)
        names = [d[0] for d in cur.description]
        return [
            {n: float(v) if isinstance(v, Decimal) else v for n, v in zip(names, row, strict=True)}
            for row in cur.fetchall()
        ]


def compile_pg(case_steps: list[dict[str, Any]]) -> str:
    return compile_recipe(
        recipe(*case_steps),
        "postgres",
        input_sql='"recipes_raw"."survey"',
        input_columns=SURVEY_TYPES,
        relations=PG_RELATIONS,
        other_inputs=OTHER_INPUTS,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_operation_on_real_postgres(pg: Any, case: OpCase) -> None:
    case.check(run_pg(pg, compile_pg(case.steps)))


def test_multi_step_cleaning_recipe_on_postgres(pg: Any, con: duckdb.DuckDBPyConnection) -> None:
    steps = [
        {"op": "trim", "config": {"columns": ["district", "city"]}},
        {"op": "change_case", "config": {"columns": ["district"], "case": "title"}},
        {
            "op": "mass_edit",
            "config": {
                "column": "city",
                "edits": [{"from": ["bengaluru", "BENGALURU", "Bengalūru"], "to": "Bengaluru"}],
            },
        },
        {"op": "cast", "config": {"columns": [{"column": "age", "type": "BIGINT"}], "mode": "try"}},
        {"op": "parse_dates", "config": {"column": "visit", "formats": ["dd/mm/yyyy", "yyyy-mm-dd"]}},
        {"op": "deduplicate", "config": {"keys": ["id"], "order_by": "submitted"}},
        {"op": "fill_down", "config": {"columns": ["district"], "order_by": [{"column": "id"}]}},
        {
            "op": "join",
            "config": {
                "right": {"kind": "table", "schema": "lookup", "table": "districts"},
                "on": [{"left": "district", "right": "district"}],
                "columns": ["region"],
            },
        },
        {
            "op": "group_by",
            "config": {
                "group_by": ["region", "city"],
                "aggregates": [{"function": "count"}, {"function": "avg", "column": "age"}],
            },
        },
    ]
    rows = run_pg(pg, compile_pg(steps))
    expected = [
        ("N-Region", "Bengaluru", 2, 34.0),  # ids 1 and 2; the kept (latest) id-2 row has age 'forty' → empty
        ("S-Region", "Bangalore", 1, 29.0),  # id 4 had no district: filled down from id 3
        ("S-Region", "Bengaluru", 1, None),
    ]
    assert sorted((r["region"], r["city"], r["count"], r["avg_age"]) for r in rows) == expected
    _, duck_rows = run(con, recipe(*steps))
    assert sorted((r["region"], r["city"], r["count"], r["avg_age"]) for r in duck_rows) == expected
