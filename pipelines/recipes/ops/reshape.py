"""Reshaping: group by with aggregates, whole-table aggregates, pivot and unpivot."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from sqlglot import exp

from pipelines.recipes.core import ColumnType, Scalar, StepConfigError, common_type, find_column, kind_of
from pipelines.recipes.ops.base import OpConfig, OpSpec, Others, StepContext, names, register
from pipelines.recipes.sqlkit import alias, cast, col, lit, normalise_type, select, typed_lit

Function = Literal["sum", "avg", "count", "count_distinct", "min", "max"]
_DECIMAL = re.compile(r"^DECIMAL\(\d+,\s*(\d+)\)$")


class Aggregate(OpConfig):
    function: Function
    column: str | None = Field(None, description="may be empty only for count (counts rows)")
    output_column: str | None = None

    @model_validator(mode="after")
    def _column_needed(self) -> Aggregate:
        if self.column is None and self.function != "count":
            raise ValueError(f"{self.function} needs a column")
        return self

    @property
    def output(self) -> str:
        if self.output_column:
            return self.output_column
        return f"{self.function}_{self.column}" if self.column else "count"


def aggregate_type(function: str, column_type: str | None, label: str) -> str:
    """The result type of an aggregate (made explicit in SQL so every warehouse agrees)."""
    if function in {"count", "count_distinct"}:
        return "BIGINT"
    assert column_type is not None
    kind = kind_of(column_type)
    if function in {"min", "max"}:
        return column_type
    if kind not in {"integer", "number", "unknown"}:
        raise StepConfigError(
            f"{function} needs numbers, but {label} is {column_type}",
            column=label,
            hint=f"convert {label} to a number with a 'Change column type' step first",
        )
    if function == "avg":
        return "DOUBLE"
    decimal = _DECIMAL.match(column_type)
    return "BIGINT" if kind == "integer" else (f"DECIMAL(38,{decimal.group(1)})" if decimal else "DOUBLE")


def aggregate_sql(function: str, value: exp.Expr | None) -> exp.Expr:
    if function == "count":
        return exp.Count(this=value if value is not None else exp.Star())
    if function == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    node = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[function]
    return node(this=value)


def _agg_columns(columns: list[ColumnType], aggregates: list[Aggregate], taken: list[str]) -> list[ColumnType]:
    out: list[ColumnType] = []
    seen = set(taken)
    for agg in aggregates:
        column_type = find_column(columns, agg.column).type if agg.column else None
        if agg.output in seen:
            raise StepConfigError(
                f"two columns would be called '{agg.output}'", column=agg.output, hint="set another output name"
            )
        seen.add(agg.output)
        out.append(ColumnType(name=agg.output, type=aggregate_type(agg.function, column_type, agg.column or "")))
    return out


def _agg_items(aggregates: list[Aggregate], types: list[ColumnType], table: str | None = None) -> list[exp.Expr]:
    return [
        alias(cast(aggregate_sql(a.function, col(a.column, table) if a.column else None), t.type), t.name)
        for a, t in zip(aggregates, types, strict=True)
    ]


def _describe_aggs(aggregates: list[Aggregate]) -> str:
    words = {
        "sum": "sum",
        "avg": "average",
        "count": "count",
        "count_distinct": "distinct count",
        "min": "min",
        "max": "max",
    }
    return names([f"{words[a.function]} of {a.column}" if a.column else "row count" for a in aggregates])


# ---- group by --------------------------------------------------------------------------------------


class GroupByConfig(OpConfig):
    group_by: list[str] = Field(default_factory=list, description="empty: one row for the whole table")
    aggregates: list[Aggregate] = Field(min_length=1)


def _group_output(columns: list[ColumnType], config: GroupByConfig, others: Others) -> list[ColumnType]:
    dims = [find_column(columns, n) for n in config.group_by]
    return dims + _agg_columns(columns, config.aggregates, config.group_by)


def _group_sql(config: GroupByConfig, ctx: StepContext) -> exp.Query:
    types = _agg_columns(ctx.columns, config.aggregates, config.group_by)
    query = select([col(n) for n in config.group_by] + _agg_items(config.aggregates, types), ctx.source)
    return query.group_by(*[col(n) for n in config.group_by], copy=False) if config.group_by else query


register(
    OpSpec(
        "group_by",
        "Group and summarise",
        "reshape",
        GroupByConfig,
        describe=lambda c: (
            f"{_describe_aggs(c.aggregates).capitalize()}"
            + (f" per {names(c.group_by)}" if c.group_by else " over all rows")
        ),
        output_columns=_group_output,
        to_sql=_group_sql,
        columns_used=lambda c: [*c.group_by, *(a.column for a in c.aggregates if a.column)],
    )
)


# ---- whole-table aggregate (Dalgo: the same value added to every row) ------------------------------


class AggregateConfig(OpConfig):
    aggregates: list[Aggregate] = Field(min_length=1)


def _aggregate_sql(config: AggregateConfig, ctx: StepContext) -> exp.Query:
    types = _agg_columns(ctx.columns, config.aggregates, [c.name for c in ctx.columns])
    totals = select(_agg_items(config.aggregates, types), ctx.source).subquery("_a")
    items = [col(c.name, "_p") for c in ctx.columns] + [col(t.name, "_a") for t in types]
    return select(items, ctx.source_as("_p")).join(totals, join_type="CROSS", copy=False)


register(
    OpSpec(
        "aggregate",
        "Whole-table total",
        "reshape",
        AggregateConfig,
        describe=lambda c: f"Add {_describe_aggs(c.aggregates)} over all rows to every row",
        output_columns=lambda cols, c, o: cols + _agg_columns(cols, c.aggregates, [x.name for x in cols]),
        to_sql=_aggregate_sql,
        columns_used=lambda c: [a.column for a in c.aggregates if a.column],
    )
)


# ---- pivot -----------------------------------------------------------------------------------------


class PivotConfig(OpConfig):
    column: str = Field(description="its values become columns")
    values: list[Scalar] = Field(min_length=1, description="the values to turn into columns, one per line")
    group_by: list[str] = Field(default_factory=list)
    value_column: str | None = Field(None, description="empty: count rows")
    function: Function = "sum"

    @model_validator(mode="after")
    def _check(self) -> PivotConfig:
        if any(v is None for v in self.values):
            raise ValueError("pivot values cannot be empty (NULL)")
        if len({str(v) for v in self.values}) != len(self.values):
            raise ValueError("pivot values must be distinct")
        return self


def _pivot_output(columns: list[ColumnType], config: PivotConfig, others: Others) -> list[ColumnType]:
    dims = [find_column(columns, n) for n in config.group_by]
    function = config.function if config.value_column else "count"
    value_type = find_column(columns, config.value_column).type if config.value_column else None
    type_name = aggregate_type(function, value_type, config.value_column or "")
    out = [ColumnType(name=str(v), type=type_name) for v in config.values]
    clash = {c.name for c in out} & set(config.group_by)
    if clash:
        raise StepConfigError(f"pivot value '{clash.pop()}' has the name of a group-by column")
    return dims + out


def _pivot_sql(config: PivotConfig, ctx: StepContext) -> exp.Query:
    out = _pivot_output(ctx.columns, config, ctx.others)[len(config.group_by) :]
    pivot_type = ctx.type_of(config.column)
    function = config.function if config.value_column else "count"
    items: list[exp.Expr] = [col(n) for n in config.group_by]
    for value, column in zip(config.values, out, strict=True):
        picked = col(config.value_column) if config.value_column else lit(1)
        when = exp.Case(
            ifs=[exp.If(this=exp.EQ(this=col(config.column), expression=typed_lit(value, pivot_type)), true=picked)]
        )
        items.append(alias(cast(aggregate_sql(function, when), column.type), column.name))
    query = select(items, ctx.source)
    return query.group_by(*[col(n) for n in config.group_by], copy=False) if config.group_by else query


register(
    OpSpec(
        "pivot",
        "Pivot",
        "reshape",
        PivotConfig,
        describe=lambda c: (
            f"Pivot {c.column} into {len(c.values)} columns"
            + (f" ({c.function} of {c.value_column})" if c.value_column else " (row counts)")
            + (f" per {names(c.group_by)}" if c.group_by else "")
        ),
        output_columns=_pivot_output,
        to_sql=_pivot_sql,
        columns_used=lambda c: [c.column, *c.group_by, *([c.value_column] if c.value_column else [])],
    )
)


# ---- unpivot ---------------------------------------------------------------------------------------


class UnpivotConfig(OpConfig):
    columns: list[str] = Field(min_length=1, description="these columns become rows")
    keep: list[str] | None = Field(None, description="columns repeated on every row; default all others")
    name_column: str = "field"
    value_column: str = "value"
    cast_to: str | None = Field(None, description="type of the value column; default the columns' common type")

    @field_validator("cast_to")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        return normalise_type(value) if value else value


def _unpivot_types(columns: list[ColumnType], config: UnpivotConfig) -> tuple[list[ColumnType], str]:
    keep_names = config.keep if config.keep is not None else [c.name for c in columns if c.name not in config.columns]
    keep = [find_column(columns, n) for n in keep_names]
    value_type = (
        config.cast_to if config.cast_to else common_type([find_column(columns, n).type for n in config.columns])
    )
    taken = {c.name for c in keep}
    for name in (config.name_column, config.value_column):
        if name in taken:
            raise StepConfigError(
                f"'{name}' is already a column", column=name, hint="choose other names for the new columns"
            )
    return keep, value_type


def _unpivot_output(columns: list[ColumnType], config: UnpivotConfig, others: Others) -> list[ColumnType]:
    keep, value_type = _unpivot_types(columns, config)
    return [
        *keep,
        ColumnType(name=config.name_column, type="VARCHAR"),
        ColumnType(name=config.value_column, type=value_type),
    ]


def _unpivot_sql(config: UnpivotConfig, ctx: StepContext) -> exp.Query:
    keep, value_type = _unpivot_types(ctx.columns, config)
    query: exp.Query | None = None
    for name in config.columns:
        items: list[exp.Expr] = [col(c.name) for c in keep]
        items += [
            alias(cast(lit(name), "VARCHAR"), config.name_column),
            alias(cast(col(name), value_type), config.value_column),
        ]
        branch = select(items, ctx.source)
        query = branch if query is None else exp.Union(this=query, expression=branch, distinct=False)
    assert query is not None
    return query


register(
    OpSpec(
        "unpivot",
        "Unpivot",
        "reshape",
        UnpivotConfig,
        describe=lambda c: f"Unpivot {names(c.columns)} into {c.name_column}/{c.value_column} rows",
        output_columns=_unpivot_output,
        to_sql=_unpivot_sql,
        columns_used=lambda c: [*c.columns, *(c.keep or [])],
    )
)
