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
    put_expressions,
    register,
)
from pipelines.recipes.sqlkit import cast, col, lit, normalise_type, passthrough, select, template

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
        "Change column type",
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
    formats: list[str] = Field(
        min_length=1, description="tried in order, e.g. dd/mm/yyyy, %d/%m/%Y, or excel (Excel serial numbers)"
    )
    output: Literal["date", "timestamp"] = "date"
    output_column: str | None = Field(None, description="default: replace the column")
    keep_unparsed: bool = Field(
        True, description="keep the original text of values that are not dates in a column named <column>__unparsed"
    )

    @field_validator("formats")
    @classmethod
    def _valid(cls, value: list[str]) -> list[str]:
        for fmt in value:
            if not datefmt.is_excel(fmt):
                datefmt.to_strftime(fmt)
        return value

    @property
    def target(self) -> str:
        return "DATE" if self.output == "date" else "TIMESTAMP"

    @property
    def unparsed_column(self) -> str:
        return f"{self.output_column or self.column}__unparsed"


def _one_format(ctx: StepContext, text: exp.Expr, fmt: str, target: str) -> exp.Expr:
    if datefmt.is_excel(fmt):
        return cast(template(ctx.dialect, _EXCEL[ctx.dialect], v=text), target)
    return dialects.parse_datetime(ctx.dialect, text, datefmt.to_strftime(fmt), target)


# Excel counts days from 1899-12-30; five digits cover 1927-2173, so a code or an age is never a date.
_EXCEL = {
    "duckdb": "CASE WHEN REGEXP_FULL_MATCH(__v, '[0-9]{5}') THEN DATE '1899-12-30' + CAST(__v AS INTEGER) END",
    "postgres": "CASE WHEN __v ~ '^[0-9]{5}$' THEN DATE '1899-12-30' + CAST(__v AS INTEGER) END",
    "bigquery": "CASE WHEN REGEXP_CONTAINS(__v, r'^[0-9]{5}$') THEN DATE_ADD(DATE '1899-12-30', INTERVAL CAST(__v AS INT64) DAY) END",
}


def _parse_expr(config: ParseDatesConfig, ctx: StepContext) -> exp.Expr:
    source_type = ctx.type_of(config.column)
    if kind_of(source_type) == "temporal":
        return cast(col(config.column), config.target)
    if kind_of(source_type) != "text":
        raise StepConfigError(
            f"dates can be parsed from text, but '{config.column}' is {source_type}",
            column=config.column,
            hint="convert it to text first with a 'Change column type' step",
        )
    text = exp.Trim(this=col(config.column))
    tries = [_one_format(ctx, text.copy(), f, config.target) for f in config.formats]
    return tries[0] if len(tries) == 1 else exp.Coalesce(this=tries[0], expressions=tries[1:])


def _keeps_text(config: ParseDatesConfig, source_type: str) -> bool:
    return config.keep_unparsed and kind_of(source_type) == "text"


def _parse_output(columns: list[ColumnType], config: ParseDatesConfig, others: Others) -> list[ColumnType]:
    type_name = next(c.type for c in columns if c.name == config.column)
    if kind_of(type_name) not in {"text", "temporal"}:
        raise StepConfigError(
            f"dates can be parsed from text, but '{config.column}' is {type_name}", column=config.column
        )
    columns = put_column(columns, config.output_column or config.column, config.target)
    return put_column(columns, config.unparsed_column, "VARCHAR") if _keeps_text(config, type_name) else columns


def _failed(config: ParseDatesConfig, ctx: StepContext) -> exp.Expr:
    """TRUE for a non-blank value that none of the formats reads."""
    value = col(config.column)
    blank = exp.EQ(this=exp.Trim(this=value.copy()), expression=lit(""))
    return exp.and_(
        exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())),
        exp.Not(this=blank),
        exp.Is(this=exp.paren(_parse_expr(config, ctx)), expression=exp.Null()),
    )


def _parse_sql(config: ParseDatesConfig, ctx: StepContext) -> exp.Query:
    computed: dict[str, exp.Expr] = {config.output_column or config.column: _parse_expr(config, ctx)}
    if _keeps_text(config, ctx.type_of(config.column)):
        # The original text stays visible beside the dates instead of silently becoming empty.
        computed[config.unparsed_column] = exp.Case(ifs=[exp.If(this=_failed(config, ctx), true=col(config.column))])
    return select(put_expressions(ctx.columns, computed), ctx.source)


def _parse_checks(config: ParseDatesConfig, ctx: StepContext) -> list[Check]:
    if kind_of(ctx.type_of(config.column)) != "text":
        return []
    kept = f"; the original text is kept in {config.unparsed_column}" if config.keep_unparsed else " and became empty"
    what = f"did not match {names([repr(f) for f in config.formats])}{kept}"
    return [Check(config.column, col(config.column), _failed(config, ctx), False, what)]


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
