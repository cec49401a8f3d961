"""Write a recipe's output as a DuckDB table (without dbt), e.g. for a quick local run or a benchmark."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
from sqlglot import exp

from pipelines.recipes.compiler import build, fill_relations
from pipelines.recipes.core import RecipeError
from pipelines.recipes.model import Recipe
from pipelines.recipes.preview import resolve_inputs
from pipelines.recipes.sqlkit import render


def materialize(
    con: duckdb.DuckDBPyConnection,
    recipe: Recipe,
    *,
    input_relation: str,
    schema: str,
    table: str,
    relations: Mapping[str, str] | None = None,
    model_schema: str = "analytics",
) -> int:
    """`CREATE OR REPLACE TABLE schema.table AS <recipe>`; the old table stays if the statement fails.

    Returns the number of rows written."""
    inputs = resolve_inputs(con, recipe, input_relation, relations, model_schema)
    compiled = build(recipe, "duckdb", inputs.columns, inputs.others)
    sql = fill_relations(compiled.text(comments=False), compiled, input_relation, inputs.relations)
    target = render(
        exp.Table(this=exp.to_identifier(table, quoted=True), db=exp.to_identifier(schema, quoted=True)), "duckdb"
    )
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {render(exp.to_identifier(schema, quoted=True), 'duckdb')}")
        written = con.execute(f"CREATE OR REPLACE TABLE {target} AS {sql}").fetchone()
    except duckdb.Error as err:
        raise RecipeError(f"Could not write {schema}.{table}: {str(err).splitlines()[0]}") from err
    if written is None:
        written = con.execute(f"SELECT COUNT(*) FROM {target}").fetchone()
    return int(written[0]) if written else 0
