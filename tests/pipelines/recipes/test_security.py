"""Hostile names and values stay data in every dialect; raw SQL steps only read the previous step."""

from __future__ import annotations

from typing import Any

import duckdb
import psycopg2
import pytest
import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from pipelines.recipes import ColumnType, Recipe, RecipeError, compile_recipe, infer_columns, render_model
from tests.pipelines.recipes.conftest import SURVEY_TYPES, recipe

EVIL = 'x"; DROP TABLE y; --'
EVIL_BQ = "z`; DROP TABLE y; --\\"
EVIL_VALUE = "'); DROP TABLE y; --\\"
COLUMNS = [
    ColumnType(name="id", type="INTEGER"),
    ColumnType(name=EVIL, type="VARCHAR"),
    ColumnType(name=EVIL_BQ, type="VARCHAR"),
]


def _hostile_recipe() -> Recipe:
    return Recipe(
        name="hostile",
        input={"kind": "table", "schema": "raw", "table": "t"},
        steps=[
            {"op": "trim", "config": {"columns": [EVIL, EVIL_BQ]}},
            {"op": "mass_edit", "config": {"column": EVIL, "edits": [{"from": [EVIL_VALUE], "to": "ok"}]}},
            {"op": "where", "config": {"clauses": [{"column": EVIL_BQ, "operator": "!=", "value": EVIL_VALUE}]}},
            {"op": "rename_columns", "config": {"mapping": {EVIL_BQ: EVIL_BQ + "'"}}},
            {
                "op": "group_by",
                "config": {"group_by": [EVIL], "aggregates": [{"function": "count", "output_column": EVIL_VALUE}]},
            },
        ],
    )


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "bigquery"])
def test_hostile_identifiers_and_values_are_quoted(dialect: str) -> None:
    sql = compile_recipe(_hostile_recipe(), dialect, input_sql="raw_t", input_columns=COLUMNS)  # type: ignore[arg-type]
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    tree = statements[0]
    assert not list(tree.find_all(exp.Drop, exp.Command))
    identifiers = {i.name for i in tree.find_all(exp.Identifier)}
    assert {EVIL, EVIL_BQ, EVIL_BQ + "'", EVIL_VALUE} <= identifiers
    assert EVIL_VALUE in {lit.this for lit in tree.find_all(exp.Literal)}


def _evil_rows() -> list[tuple[Any, ...]]:
    return [(1, f" {EVIL_VALUE} ", "keep"), (2, "b", EVIL_VALUE), (3, "b", "keep")]


def test_hostile_recipe_runs_on_duckdb_and_drops_nothing() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE y (a INTEGER)")
    con.execute(f'CREATE TABLE raw_t (id INTEGER, "{EVIL.replace(chr(34), chr(34) * 2)}" VARCHAR, "{EVIL_BQ}" VARCHAR)')
    con.executemany("INSERT INTO raw_t VALUES (?, ?, ?)", _evil_rows())
    rows = con.execute(compile_recipe(_hostile_recipe(), "duckdb", input_sql="raw_t", input_columns=COLUMNS)).fetchall()
    assert sorted(rows) == [("b", 1), ("ok", 1)]
    assert con.execute("SELECT COUNT(*) FROM y").fetchone() == (0,)


@pytest.mark.postgres
def test_hostile_recipe_runs_on_postgres(pg_database: str) -> None:
    conn = psycopg2.connect(pg_database, options="-c search_path=recipes_hostile")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE SCHEMA recipes_hostile; CREATE TABLE y (a INTEGER)")
            cur.execute(
                f'CREATE TABLE raw_t (id INTEGER, "{EVIL.replace(chr(34), chr(34) * 2)}" TEXT, "{EVIL_BQ}" TEXT)'
            )
            cur.executemany("INSERT INTO raw_t VALUES (%s, %s, %s)", _evil_rows())
            cur.execute(compile_recipe(_hostile_recipe(), "postgres", input_sql="raw_t", input_columns=COLUMNS))
            assert sorted(cur.fetchall()) == [("b", 1), ("ok", 1)]
            cur.execute("SELECT COUNT(*) FROM y")
            assert cur.fetchone() == (0,)
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA IF EXISTS recipes_hostile CASCADE")
        conn.close()


def test_jinja_in_names_and_values_is_not_executed_by_dbt() -> None:
    columns = [ColumnType(name="{{ run_query('drop table y') }}", type="VARCHAR")]
    rcp = Recipe(
        name="j",
        input={"kind": "table", "schema": "raw", "table": "t"},
        steps=[{"op": "find_replace", "config": {"columns": [columns[0].name], "find": "{% if x %}", "replace": "{#"}}],
    )
    sql = render_model(rcp, "duckdb", input_columns=columns).sql
    assert "{{ run_query" not in sql and "{% if" not in sql
    assert "{{ source('raw', 't') }}" in sql
    import jinja2

    rendered = jinja2.Environment().from_string(sql).render(source=lambda s, t: f"{s}.{t}", config=lambda **k: "")
    assert "{{ run_query('drop table y') }}" in rendered and "'{% if x %}'" in rendered and "raw.t" in rendered


# ---- raw SQL steps ---------------------------------------------------------------------------------


def _raw(sql: str) -> Recipe:
    return recipe({"op": "raw_sql", "config": {"sql": sql}})


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DELETE FROM _prev", "only a SELECT"),
        ("DROP TABLE raw.survey", "only a SELECT"),
        ("SELECT * FROM _prev; SELECT 1", "exactly one SELECT statement"),
        ("SELECT * FROM _prev; DROP TABLE y", "exactly one SELECT statement"),
        ("SELECT * FROM raw.survey", "another schema or table"),
        ("SELECT * FROM other_db.raw.survey", "another schema or table"),
        ("SELECT * FROM _prev JOIN analytics.secrets s ON TRUE", "another schema or table"),
        ("SELECT * FROM users", "may only read _prev"),
        ("SELECT * FROM read_csv('/etc/passwd')", "(?i)read_csv is not allowed"),
        # A CTE defined inside a subquery does not cover the outer FROM: there the name is a file path.
        (
            """SELECT * FROM "other/uploads/*/*.csv" WHERE EXISTS (WITH "other/uploads/*/*.csv" AS (SELECT 1) SELECT 1)""",
            "may only read _prev",
        ),
        ("SELECT * FROM (WITH users AS (SELECT * FROM _prev) SELECT * FROM users) s, users", "may only read _prev"),
        ("SELECT id, (SELECT MAX(x) FROM lookup.t) AS m FROM _prev", "another schema or table"),
        ("SELECT getenv('HOME') AS h FROM _prev", "(?i)getenv is not allowed"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "not allowed"),
        ("SELECT * INTO newtable FROM _prev", "not allowed"),
        ("SELEC * FRM _prev", "only a SELECT"),
        ("SELECT (1 FROM _prev", "does not parse"),
    ],
)
def test_raw_sql_rejected(sql: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        _raw(sql)


def test_raw_sql_with_its_own_cte_and_prev_alias_is_allowed() -> None:
    rcp = _raw("WITH big AS (SELECT * FROM _prev AS p WHERE p.household > 3) SELECT id, UPPER(city) AS city FROM big")
    assert infer_columns(rcp, SURVEY_TYPES)[-1] == [
        ColumnType(name="id", type="INTEGER"),
        ColumnType(name="city", type="VARCHAR"),
    ]


def test_raw_sql_must_name_computed_columns_and_use_existing_ones() -> None:
    with pytest.raises(RecipeError, match="give `household \\+ 1` a name with AS"):
        infer_columns(_raw("SELECT household + 1 FROM _prev"), SURVEY_TYPES)
    with pytest.raises(RecipeError, match=r"Step 1.*nope"):
        infer_columns(_raw("SELECT nope FROM _prev"), SURVEY_TYPES)


def test_raw_sql_written_for_duckdb_is_transpiled() -> None:
    sql = compile_recipe(
        _raw("SELECT id, city::VARCHAR AS c FROM _prev"),
        "bigquery",
        input_sql="`p.raw.survey`",
        input_columns=SURVEY_TYPES,
    )
    assert "CAST(city AS STRING) AS c" in sql and "FROM `p.raw.survey` AS _prev" in sql
