"""Computed columns: case-when and a generic SQL function from an allowlist."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from sqlglot import exp

from pipelines.recipes.core import ColumnType, Operand, StepConfigError, common_type, kind_of
from pipelines.recipes.ops.base import OpConfig, OpSpec, StepContext, put_column, put_expression, register
from pipelines.recipes.ops.columns import operand_columns, operand_sql, operand_text, operand_type
from pipelines.recipes.ops.conditions import Condition, build_condition, condition_columns, describe_condition
from pipelines.recipes.sqlkit import and_all, cast, select

# ---- case when -------------------------------------------------------------------------------------


class WhenClause(OpConfig):
    conditions: list[Condition] = Field(min_length=1)
    match: Literal["all", "any"] = "all"
    then: Operand


class CaseWhenConfig(OpConfig):
    clauses: list[WhenClause] = Field(min_length=1)
    else_: Operand | None = Field(None, alias="else")
    output_column: str = Field(min_length=1)


def _case_type(columns: list[ColumnType], config: CaseWhenConfig) -> str:
    values = [c.then for c in config.clauses] + ([config.else_] if config.else_ else [])
    for clause in config.clauses:
        for condition in clause.conditions:
            build_condition(condition, columns)  # surfaces type clashes before any SQL runs
    return common_type([operand_type(v, columns) for v in values])


def _case_sql(config: CaseWhenConfig, ctx: StepContext) -> exp.Query:
    target = _case_type(ctx.columns, config)
    ifs = [
        exp.If(
            this=and_all([build_condition(c, ctx.columns) for c in clause.conditions], clause.match),
            true=cast(operand_sql(clause.then), target),
        )
        for clause in config.clauses
    ]
    default = cast(operand_sql(config.else_), target) if config.else_ else None
    expression = cast(exp.Case(ifs=ifs, default=default), target)
    return select(put_expression(ctx.columns, config.output_column, expression), ctx.source)


def _describe_case(c: CaseWhenConfig) -> str:
    first = c.clauses[0]
    joiner = " and " if first.match == "all" else " or "
    text = f"{c.output_column} = {operand_text(first.then)} when {joiner.join(describe_condition(x) for x in first.conditions)}"
    if len(c.clauses) > 1:
        text += f" (+{len(c.clauses) - 1} more rule{'s' if len(c.clauses) > 2 else ''})"
    return text + (f", else {operand_text(c.else_)}" if c.else_ else "")


def _case_used(c: CaseWhenConfig) -> list[str]:
    used = [n for clause in c.clauses for cond in clause.conditions for n in condition_columns(cond)]
    values = [clause.then for clause in c.clauses] + ([c.else_] if c.else_ else [])
    return used + operand_columns(values)


register(
    OpSpec(
        "case_when",
        "Set values by condition",
        "columns",
        CaseWhenConfig,
        describe=_describe_case,
        output_columns=lambda cols, c, o: put_column(cols, c.output_column, _case_type(cols, c)),
        to_sql=_case_sql,
        columns_used=_case_used,
    )
)


# ---- generic SQL function --------------------------------------------------------------------------

# name → (min args, max args, result): "text", "integer", "double", "first" (type of the first argument)
# or "common" (common type of the arguments). Only functions spelled the same in all three warehouses.
FUNCTIONS: dict[str, tuple[int, int, str]] = {
    "abs": (1, 1, "first"),
    "ceil": (1, 1, "first"),
    "floor": (1, 1, "first"),
    "round": (1, 2, "first"),
    "sqrt": (1, 1, "double"),
    "power": (2, 2, "double"),
    "sign": (1, 1, "first"),
    "mod": (2, 2, "common"),
    "greatest": (1, 20, "common"),
    "least": (1, 20, "common"),
    "nullif": (2, 2, "first"),
    "coalesce": (1, 20, "common"),
    "upper": (1, 1, "text"),
    "lower": (1, 1, "text"),
    "length": (1, 1, "integer"),
    "trim": (1, 1, "text"),
    "ltrim": (1, 1, "text"),
    "rtrim": (1, 1, "text"),
    "replace": (3, 3, "text"),
    "substr": (2, 3, "text"),
    "left": (2, 2, "text"),
    "right": (2, 2, "text"),
    "reverse": (1, 1, "text"),
    "strpos": (2, 2, "integer"),
    "lpad": (3, 3, "text"),
    "rpad": (3, 3, "text"),
}
_RESULT = {"text": "VARCHAR", "integer": "BIGINT", "double": "DOUBLE"}


class GenericConfig(OpConfig):
    function: str
    args: list[Operand] = Field(default_factory=list)
    output_column: str = Field(min_length=1)

    @field_validator("function")
    @classmethod
    def _allowed(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in FUNCTIONS:
            raise ValueError(f"function '{value}' is not allowed; use one of {', '.join(sorted(FUNCTIONS))}")
        return name


def _generic_type(columns: list[ColumnType], config: GenericConfig) -> str:
    low, high, result = FUNCTIONS[config.function]
    if not low <= len(config.args) <= high:
        count = str(low) if low == high else f"{low} to {high}"
        raise StepConfigError(f"{config.function} takes {count} arguments, got {len(config.args)}")
    types = [operand_type(a, columns) for a in config.args]
    if result == "first":
        return "VARCHAR" if types[0] == "NULL" else types[0]
    if result == "common":
        kinds = {"number" if kind_of(t) == "integer" else kind_of(t) for t in types if t != "NULL"}
        if len(kinds) > 1:
            raise StepConfigError(f"{config.function} needs arguments of one type, got {', '.join(types)}")
        return common_type(types)
    return _RESULT[result]


def _generic_sql(config: GenericConfig, ctx: StepContext) -> exp.Query:
    args = [operand_sql(a) for a in config.args]
    if config.function == "round" and len(args) == 2:
        args[0] = cast(args[0], "DECIMAL(38,9)")  # Postgres rounds to n places only on NUMERIC
    call = exp.func(config.function, *args, dialect="duckdb")
    expression = cast(call, _generic_type(ctx.columns, config))
    return select(put_expression(ctx.columns, config.output_column, expression), ctx.source)


register(
    OpSpec(
        "generic",
        "SQL function (advanced)",
        "columns",
        GenericConfig,
        describe=lambda c: f"{c.output_column} = {c.function.upper()}({', '.join(operand_text(a) for a in c.args)})",
        output_columns=lambda cols, c, o: put_column(cols, c.output_column, _generic_type(cols, c)),
        to_sql=_generic_sql,
        columns_used=lambda c: operand_columns(c.args),
    )
)
