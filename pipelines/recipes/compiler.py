"""Compile a recipe into one SQL statement: a WITH chain with a CTE per enabled step."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from pipelines.recipes.core import ColumnType, Dialect, ModelInput, RecipeError, StepConfigError, TableInput
from pipelines.recipes.model import Recipe
from pipelines.recipes.ops.base import Others, StepContext
from pipelines.recipes.schema import ColumnsLike, as_columns, check_cycles, step_error
from pipelines.recipes.sqlkit import render, table


@dataclass
class CompiledStep:
    number: int
    step_id: str
    description: str
    cte: str
    sql: str  # the CTE body, with relation placeholders


@dataclass
class Compiled:
    """A compiled recipe before relations are filled in: bodies reference placeholders."""

    dialect: Dialect
    steps: list[CompiledStep]
    columns: list[ColumnType]
    input_placeholder: str
    placeholders: dict[str, TableInput | ModelInput] = field(default_factory=dict)

    def text(self, *, comments: bool = True) -> str:
        """The statement, placeholders included."""
        if not self.steps:
            return f"SELECT * FROM {self.input_placeholder}"
        parts = []
        for step in self.steps:
            note = f"-- Step {step.number}: {one_line(step.description)}\n" if comments else ""
            parts.append(f"{note}{step.cte} AS (\n{_indent(step.sql)}\n)")
        return "WITH\n" + ",\n".join(parts) + f"\nSELECT * FROM {self.steps[-1].cte}"


def one_line(text: str) -> str:
    """Text safe inside a `--` comment."""
    return " ".join(text.split())


def _indent(sql: str) -> str:
    return "\n".join("  " + line for line in sql.splitlines())


def build(
    recipe: Recipe,
    dialect: Dialect,
    input_columns: ColumnsLike,
    other_inputs: Others | None = None,
    *,
    upto: int | None = None,
    start: int = 0,
) -> Compiled:
    """Build every enabled step's SELECT (up to step `upto`) over the previous one.

    With `start`, steps 1..start are taken as already applied: the input is their output."""
    if any(i.kind == "model" and i.model == recipe.model_name for i in recipe.inputs()):
        check_cycles(recipe, {})
    others = other_inputs or {}
    token = secrets.token_hex(6)
    compiled = Compiled(dialect, [], as_columns(input_columns), f"__dalgo_input_{token}")

    def relation(source: TableInput | ModelInput) -> exp.Expr:
        for name, known in compiled.placeholders.items():
            if known.key == source.key:
                return table(name)
        name = f"__dalgo_rel_{token}_{len(compiled.placeholders)}"
        compiled.placeholders[name] = source
        return table(name)

    source: exp.Expr = table(compiled.input_placeholder)
    history = [compiled.columns]
    for number, step in enumerate(recipe.steps[:upto], start=1):
        if step.enabled and number > start:
            try:
                columns = step.spec.output_columns(compiled.columns, step.config, others)
                query = step.spec.to_sql(step.config, StepContext(dialect, source, compiled.columns, others, relation))
            except StepConfigError as err:
                raise step_error(number, step, err, history) from err
            cte = f"step_{number}"
            compiled.steps.append(CompiledStep(number, step.id, step.description, cte, _render(query, dialect, number)))
            compiled.columns, source = columns, table(cte)
        history.append(compiled.columns)
    return compiled


def _render(query: exp.Expr, dialect: Dialect, number: int) -> str:
    try:
        return render(query, dialect, pretty=True)
    except Exception as err:  # sqlglot raises UnsupportedError for SQL it cannot express in the dialect
        raise RecipeError(f"Step {number} cannot be written for {dialect}: {err}", step=number) from err


def default_relation(source: TableInput | ModelInput, dialect: Dialect, *, model_schema: str = "analytics") -> str:
    """The quoted `schema.table` of an input in the warehouse (models live in `model_schema`)."""
    schema, name = (source.schema_, source.table) if isinstance(source, TableInput) else (model_schema, source.model)
    return render(
        exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(schema, quoted=True)), dialect
    )


def fill_relations(
    text: str,
    compiled: Compiled,
    input_sql: str,
    relations: Mapping[str, str] | None,
    *,
    model_schema: str = "analytics",
) -> str:
    """Put the real relations in place of the placeholders."""
    relations = relations or {}
    for placeholder, source in compiled.placeholders.items():
        rel = relations.get(source.key) or default_relation(source, compiled.dialect, model_schema=model_schema)
        text = text.replace(placeholder, rel)
    return text.replace(compiled.input_placeholder, input_sql)


def compile_recipe(
    recipe: Recipe,
    dialect: Dialect,
    *,
    input_sql: str,
    input_columns: ColumnsLike,
    upto: int | None = None,
    relations: Mapping[str, str] | None = None,
    other_inputs: Others | None = None,
    comments: bool = True,
) -> str:
    """`WITH step_1 AS (...), ... SELECT * FROM step_n` for `dialect`.

    `input_sql` is the input relation's text (`"raw_kobo"."survey"`, `{{ source('raw_kobo','survey') }}`);
    `relations` maps a join/union input's key (`schema.table` or model name) to its text, defaulting to
    the quoted warehouse name; `other_inputs` gives those inputs' columns; `upto` stops after that step."""
    compiled = build(recipe, dialect, input_columns, other_inputs, upto=upto)
    return fill_relations(compiled.text(comments=comments), compiled, input_sql, relations)
