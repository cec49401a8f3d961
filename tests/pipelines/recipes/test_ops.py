"""Every operation: runs on DuckDB with the result a user would see, its propagated schema equals what
DuckDB returns, and its SQL for Postgres and BigQuery parses back."""

from __future__ import annotations

import json

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from pipelines.recipes import OPERATIONS, compile_recipe, describe_relation, infer_columns
from tests.pipelines.recipes.cases import CASES, OpCase
from tests.pipelines.recipes.conftest import OTHER_INPUTS, SURVEY_TYPES, recipe, run


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_operation_result_and_schema(con: duckdb.DuckDBPyConnection, case: OpCase) -> None:
    rcp = recipe(*case.steps)
    actual_columns, rows = run(con, rcp)
    case.check(rows)
    assert describe_relation(con, '"raw"."survey"') == SURVEY_TYPES
    inferred = infer_columns(rcp, SURVEY_TYPES, OTHER_INPUTS)[-1]
    assert inferred == actual_columns


@pytest.mark.parametrize("dialect", ["postgres", "bigquery"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_operation_compiles_for_warehouses(case: OpCase, dialect: str) -> None:
    rcp = recipe(*case.steps)
    sql = compile_recipe(
        rcp,
        dialect,  # type: ignore[arg-type]
        input_sql="raw.survey",
        input_columns=SURVEY_TYPES,
        other_inputs=OTHER_INPUTS,
    )
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    assert [c.alias_or_name for c in statements[0].find_all(exp.CTE)] == [
        f"step_{i}" for i in range(1, len(rcp.steps) + 1)
    ]
    # Every column reference must resolve against the input tables (catches a lost alias, a typo'd name).
    tables = {
        "raw": {"survey": SURVEY_TYPES, "extra": OTHER_INPUTS["raw.extra"]},
        "lookup": {"districts": OTHER_INPUTS["lookup.districts"]},
    }
    schema = {db: {t: {c.name: c.type for c in cols} for t, cols in ts.items()} for db, ts in tables.items()}
    qualify(statements[0], schema=MappingSchema(schema, dialect="duckdb", normalize=False), dialect=dialect)


def test_every_operation_has_a_case() -> None:
    covered = {s["op"] for case in CASES for s in case.steps}
    assert covered == set(OPERATIONS)


def test_operations_publish_a_config_schema_and_name() -> None:
    for op, spec in OPERATIONS.items():
        schema = json.loads(json.dumps(spec.config_schema()))  # the UI receives it as JSON
        assert schema["type"] == "object" and schema.get("properties"), op
        assert spec.name and spec.family
