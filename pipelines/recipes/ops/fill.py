"""Fill down (copy the last non-empty value down, in a given order) and fill empty values with a constant."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from sqlglot import exp

from pipelines.recipes.core import ColumnType, OrderBy, Scalar, kind_of
from pipelines.recipes.ops.base import OpConfig, OpSpec, Others, StepContext, names, register
from pipelines.recipes.sqlkit import alias, col, lit, ordered, passthrough, select, typed_lit

GROUP = "__dalgo_fill_group_"


class FillNullsConfig(OpConfig):
    columns: list[str] = Field(min_length=1)
    mode: Literal["constant", "previous"] = "constant"
    value: Scalar = None
    order_by: list[OrderBy] = Field(default_factory=list, description="row order for 'previous'")
    partition_by: list[str] = Field(default_factory=list, description="restart filling for each group")

    @model_validator(mode="after")
    def _needs(self) -> FillNullsConfig:
        if self.mode == "previous" and not self.order_by:
            raise ValueError("filling from the previous row needs an order (order_by): SQL rows have no order")
        if self.mode == "constant" and self.value is None:
            raise ValueError("give the value to put in empty cells")
        return self


class FillDownConfig(OpConfig):
    columns: list[str] = Field(min_length=1)
    order_by: list[OrderBy] = Field(min_length=1)
    partition_by: list[str] = Field(default_factory=list)

    def as_fill(self) -> FillNullsConfig:
        return FillNullsConfig(
            columns=self.columns, mode="previous", order_by=self.order_by, partition_by=self.partition_by
        )


def _blank_as_null(name: str, columns: list[ColumnType]) -> exp.Expr:
    """Empty text counts as empty, as in a spreadsheet."""
    type_name = next(c.type for c in columns if c.name == name)
    if kind_of(type_name) == "text":
        return exp.Nullif(this=col(name), expression=lit(""))
    return col(name)


def _window(function: exp.Expr, config: FillNullsConfig, extra_partition: list[exp.Expr]) -> exp.Window:
    return exp.Window(
        this=function,
        partition_by=[col(p) for p in config.partition_by] + extra_partition,
        order=exp.Order(expressions=[ordered(o.column, o.descending) for o in config.order_by]),
        spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"),
    )


def _fill_sql(config: FillNullsConfig, ctx: StepContext) -> exp.Query:
    if config.mode == "constant":
        filled = {
            n: exp.Coalesce(this=_blank_as_null(n, ctx.columns), expressions=[typed_lit(config.value, ctx.type_of(n))])
            for n in config.columns
        }
        return select(passthrough(ctx.columns, filled), ctx.source)
    if ctx.dialect == "postgres":
        return _fill_down_grouped(config, ctx)
    last = {
        n: exp.Coalesce(
            this=_blank_as_null(n, ctx.columns),
            expressions=[_window(exp.IgnoreNulls(this=exp.LastValue(this=_blank_as_null(n, ctx.columns))), config, [])],
        )
        for n in config.columns
    }
    return select(passthrough(ctx.columns, last), ctx.source)


def _fill_down_grouped(config: FillNullsConfig, ctx: StepContext) -> exp.Query:
    """Postgres has no IGNORE NULLS: number the runs that start at each non-empty value, then take it."""
    groups = [
        alias(_window(exp.Count(this=_blank_as_null(n, ctx.columns)), config, []), f"{GROUP}{i}")
        for i, n in enumerate(config.columns)
    ]
    inner = select([*(col(c.name) for c in ctx.columns), *groups], ctx.source).subquery("_g")
    filled: dict[str, exp.Expr] = {}
    for i, name in enumerate(config.columns):
        value = _blank_as_null(name, ctx.columns)
        first = exp.Window(
            this=exp.FirstValue(this=value),
            partition_by=[col(p) for p in config.partition_by] + [col(f"{GROUP}{i}")],
            order=exp.Order(expressions=[exp.Ordered(this=exp.Is(this=value.copy(), expression=exp.Null()))]),
        )
        filled[name] = first
    return select(passthrough(ctx.columns, filled), inner)


def _describe_fill(c: FillNullsConfig) -> str:
    if c.mode == "constant":
        return f"Fill empty {names(c.columns)} with {c.value!r}"
    order = ", ".join(o.column + (" (newest first)" if o.descending else "") for o in c.order_by)
    group = f" within each {names(c.partition_by)}" if c.partition_by else ""
    return f"Fill down {names(c.columns)} by {order}{group}"


def _fill_used(c: FillNullsConfig) -> list[str]:
    return [*c.columns, *(o.column for o in c.order_by), *c.partition_by]


def _same(columns: list[ColumnType], config: object, others: Others) -> list[ColumnType]:
    return columns


register(
    OpSpec(
        "fill_nulls",
        "Fill empty cells",
        "cleaning",
        FillNullsConfig,
        describe=_describe_fill,
        output_columns=_same,
        to_sql=_fill_sql,
        columns_used=_fill_used,
    )
)
register(
    OpSpec(
        "fill_down",
        "Fill down",
        "cleaning",
        FillDownConfig,
        describe=lambda c: _describe_fill(c.as_fill()),
        output_columns=_same,
        to_sql=lambda c, ctx: _fill_sql(c.as_fill(), ctx),
        columns_used=lambda c: _fill_used(c.as_fill()),
    )
)
