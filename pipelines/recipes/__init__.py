"""Recipe engine: typed cleaning/transform steps compiled to SQL (DuckDB, Postgres, BigQuery) and dbt models."""

from pipelines.recipes.cluster import Cluster, cluster_column, merge_step
from pipelines.recipes.compiler import compile_recipe, default_relation
from pipelines.recipes.core import (
    CastFailed,
    ColumnType,
    ModelInput,
    RecipeError,
    RecipeInput,
    TableInput,
)
from pipelines.recipes.dbt_model import ModelFiles, dbt_relation, render_model
from pipelines.recipes.facets import date_facet, numeric_facet, text_facet
from pipelines.recipes.materialize import materialize
from pipelines.recipes.model import ColumnTest, Recipe, Step
from pipelines.recipes.ops import OPERATIONS, OpSpec
from pipelines.recipes.preview import (
    PreviewResult,
    compiled_relation,
    describe_relation,
    discover_pivot_values,
    preview,
)
from pipelines.recipes.schema import StepProblem, check_cycles, infer_columns, validate

__all__ = [
    "OPERATIONS",
    "CastFailed",
    "Cluster",
    "ColumnTest",
    "ColumnType",
    "ModelFiles",
    "ModelInput",
    "OpSpec",
    "PreviewResult",
    "Recipe",
    "RecipeError",
    "RecipeInput",
    "Step",
    "StepProblem",
    "TableInput",
    "check_cycles",
    "cluster_column",
    "compile_recipe",
    "compiled_relation",
    "date_facet",
    "dbt_relation",
    "default_relation",
    "describe_relation",
    "discover_pivot_values",
    "infer_columns",
    "materialize",
    "merge_step",
    "numeric_facet",
    "preview",
    "render_model",
    "text_facet",
    "validate",
]
