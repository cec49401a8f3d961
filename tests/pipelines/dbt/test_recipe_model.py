"""A saved recipe (compiled by pipelines.recipes) written into the org's project and run by the same runner."""

from __future__ import annotations

from pipelines.recipes import Recipe, render_model
from tests.pipelines.dbt.conftest import DuckOrg


def test_recipe_model_written_and_run_with_its_tests(duck_org: DuckOrg) -> None:
    recipe = Recipe(
        name="Clean visits",
        input={"kind": "table", "schema": "raw_survey", "table": "visits"},
        steps=[
            {"op": "trim", "config": {"columns": ["district"]}},
            {"op": "change_case", "config": {"columns": ["district"], "case": "upper"}},
        ],
        tests=[
            {"column": "district", "test": "not_null"},
            {"column": "month", "test": "not_null", "severity": "warn"},
        ],
    )
    columns = duck_org.query(
        "select column_name, data_type from duckdb_columns() where schema_name = 'raw_survey' "
        "and table_name = 'visits' order by column_index"
    )
    files = render_model(recipe, "duckdb", input_columns=columns)

    path = duck_org.project.write_model(files.name, files.sql, files.schema_yml)
    result = duck_org.runner.build([files.name])

    assert path.parent.name == "recipes"
    statuses = {(n.resource_type, n.status, n.severity) for n in result.nodes}
    assert statuses == {("model", "success", None), ("test", "pass", "error"), ("test", "warn", "warn")}
    assert duck_org.query(f"select distinct district from analytics.{files.name} order by 1") == [
        ("BENGALURU",),
        ("MYSURU",),
        ("PUNE",),
    ]
