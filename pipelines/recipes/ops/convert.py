"""Type conversion: cast columns (strict or try) and parse dates written in one of several formats."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from sqlglot import exp

from pipelines.recipes import datefmt, dialects
from pipelines.recipes.core import ColumnType, StepConfigError, kind_of
from pipelines.recipes.ops.base import (
    Check,
    OpConfig,
    OpSpec,
    Others,
    StepContext,
    names,
    put_column,
    put_expression,
    register,
)
from pipelines.recipes.sqlkit import cast, col, lit, normalise_type, passthrough, select

FRIENDLY = {
    "VARCHAR": "text",
    "BIGINT": "whole number",
    "INTEGER": "whole number",
    "DOUBLE": "decimal number",
    "BOOLEAN": "true/false",
    "DATE": "date",
    "TIMESTAMP": "date and time",
    "TIMESTAMP WITH TIME ZONE": "date and time with time zone",
    "TIME": "time of day",
    "JSON": "JSON",
}


def friendly(type_name: str) -> str:
    return FRIENDLY.get(type_name, type_name.lower())


# ---- cast ------------------------------------------------------------------------------------------


class CastColumn(OpConfig):
    column: str
    type: str

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        return normalise_type(value)


class CastConfig(OpConfig):
    columns: list[CastColumn] = Field(min_length=1)
    mode: Literal["strict", "try"] = Field(
        "strict", description="strict: the step fails on a value that does not convert; try: it becomes empty"
    )


def _cast_output(columns: list[ColumnType], config: CastConfig, others: Others) -> list[ColumnType]:
    for item in config.columns:
        columns = put_column(columns, item.column, item.type)
    return columns


def _cast_expr(item: CastColumn, ctx: StepContext, mode: str) -> exp.Expr:
    source_type = ctx.type_of(item.column)
    value: exp.Expr = col(item.column)
    if kind_of(source_type) == "text" and kind_of(item.type) != "text":
        value = exp.Trim(this=value)  # " 12 " is 12 in every warehouse
    if mode == "try":
        return dialects.try_cast(ctx.dialect, value, item.type, source_type)
    return cast(value, item.type)


def _cast_sql(config: CastConfig, ctx: StepContext) -> exp.Query:
    exprs = {item.column: _cast_expr(item, ctx, config.mode) for item in config.columns}
    return select(passthrough(ctx.columns, exprs), ctx.source)


def _cast_checks(config: CastConfig, ctx: StepContext) -> list[Check]:
    checks = []
    for item in config.columns:
        converted = _cast_expr(item, ctx, "try")
        failed = exp.and_(
            exp.Not(this=exp.Is(this=col(item.column), expression=exp.Null())),
            exp.Is(this=converted, expression=exp.Null()),
        )
        what = f"could not be converted to {friendly(item.type)} ({item.type})"
        checks.append(Check(item.column, col(item.column), failed, config.mode == "strict", what))
    return checks


def _describe_cast(c: CastConfig) -> str:
    parts = [f"{i.column} to {friendly(i.type)}" for i in c.columns]
    tail = " (empty when a value does not convert)" if c.mode == "try" else ""
    return f"Convert {names(parts)}{tail}"


register(
    OpSpec(
        "cast",
        "Cast types",
        "columns",
        CastConfig,
        describe=_describe_cast,
        output_columns=_cast_output,
        to_sql=_cast_sql,
        columns_used=lambda c: [i.column for i in c.columns],
        checks=_cast_checks,
    )
)


# ---- parse dates -----------------------------------------------------------------------------------


class ParseDatesConfig(OpConfig):
    column: str
    formats: list[str] = Field(min_length=1, description="tried in order, e.g. dd/mm/yyyy or %d/%m/%Y")
    output: Literal["date", "timestamp"] = "date"
    output_column: str | None = Field(None, description="default: replace the column")

    @field_validator("formats")
    @classmethod
    def _valid(cls, value: list[str]) -> list[str]:
        for fmt in value:
            datefmt.to_strftime(fmt)
        return value

    @property
    def target(self) -> str:
        return "DATE" if self.output == "date" else "TIMESTAMP"


def _parse_expr(config: ParseDatesConfig, ctx: StepContext) -> exp.Expr:
    source_type = ctx.type_of(config.column)
    if kind_of(source_type) == "temporal":
        return cast(col(config.column), config.target)
    if kind_of(source_type) != "text":
        raise StepConfigError(
            f"dates can be parsed from text, but '{config.column}' is {source_type}",
            column=config.column,
            hint="convert it to text first with a 'Cast types' step",
        )
    text = exp.Trim(this=col(config.column))
    tries = [
        dialects.parse_datetime(ctx.dialect, text.copy(), datefmt.to_strftime(f), config.target) for f in config.formats
    ]
    return tries[0] if len(tries) == 1 else exp.Coalesce(this=tries[0], expressions=tries[1:])


def _parse_output(columns: list[ColumnType], config: ParseDatesConfig, others: Others) -> list[ColumnType]:
    type_name = next(c.type for c in columns if c.name == config.column)
    if kind_of(type_name) not in {"text", "temporal"}:
        raise StepConfigError(
            f"dates can be parsed from text, but '{config.column}' is {type_name}", column=config.column
        )
    return put_column(columns, config.output_column or config.column, config.target)


def _parse_sql(config: ParseDatesConfig, ctx: StepContext) -> exp.Query:
    return select(
        put_expression(ctx.columns, config.output_column or config.column, _parse_expr(config, ctx)), ctx.source
    )


def _parse_checks(config: ParseDatesConfig, ctx: StepContext) -> list[Check]:
    if kind_of(ctx.type_of(config.column)) != "text":
        return []
    value = col(config.column)
    blank = exp.EQ(this=exp.Trim(this=value.copy()), expression=lit(""))
    failed = exp.and_(
        exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())),
        exp.Not(this=blank),
        exp.Is(this=_parse_expr(config, ctx), expression=exp.Null()),
    )
    what = f"did not match {names([repr(f) for f in config.formats])} and became empty"
    return [Check(config.column, value, failed, False, what)]


def _describe_parse(c: ParseDatesConfig) -> str:
    into = f" into {c.output_column}" if c.output_column else ""
    return f"Parse dates in {c.column} ({', '.join(c.formats)}){into}"


register(
    OpSpec(
        "parse_dates",
        "Parse dates",
        "cleaning",
        ParseDatesConfig,
        describe=_describe_parse,
        output_columns=_parse_output,
        to_sql=_parse_sql,
        columns_used=lambda c: [c.column],
        checks=_parse_checks,
    )
)
