"""Row operations: where filter, facet selection, deduplicate keeping the latest row."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from pipelines.recipes.core import ColumnType, Scalar, find_column
from pipelines.recipes.ops.base import OpConfig, OpSpec, Others, StepContext, names, quote_list, register
from pipelines.recipes.ops.conditions import (
    WhereClauses,
    build_clauses,
    condition_columns,
    describe_clauses,
)
from pipelines.recipes.sqlkit import and_all, col, ordered, select, typed_lit

RANK = "__dalgo_rank"


def _same(columns: list[ColumnType], config: object, others: Others) -> list[ColumnType]:
    return columns


# ---- where (Dalgo) ---------------------------------------------------------------------------------


def _where_sql(config: WhereClauses, ctx: StepContext) -> exp.Query:
    return select([col(c.name) for c in ctx.columns], ctx.source).where(build_clauses(config, ctx.columns), copy=False)


def _where_output(columns: list[ColumnType], config: WhereClauses, others: Others) -> list[ColumnType]:
    build_clauses(config, columns)  # raises on a comparison between incompatible columns
    return columns


register(
    OpSpec(
        "where",
        "Filter rows",
        "rows",
        WhereClauses,
        describe=lambda c: f"Keep rows where {describe_clauses(c)}",
        output_columns=_where_output,
        to_sql=_where_sql,
        columns_used=lambda c: [n for clause in c.clauses for n in condition_columns(clause)],
    )
)


# ---- facet selection (OpenRefine facets turned into a filter step) ---------------------------------


class ValuesFacet(OpConfig):
    """Rows whose value is one of the selected ones (a text facet selection)."""

    kind: Literal["values"] = "values"
    column: str
    values: list[Scalar] = Field(default_factory=list)
    include_null: bool = False
    invert: bool = False


class RangeFacet(OpConfig):
    """Rows whose value lies in [min, max] (a numeric or date facet selection)."""

    kind: Literal["range"] = "range"
    column: str
    min: Scalar = None
    max: Scalar = None
    include_null: bool = False

    @model_validator(mode="after")
    def _bounded(self) -> RangeFacet:
        if self.min is None and self.max is None:
            raise ValueError("a range needs a min, a max or both")
        return self


Facet = Annotated[ValuesFacet | RangeFacet, Field(discriminator="kind")]


class FacetFilterConfig(OpConfig):
    facets: list[Facet] = Field(min_length=1)


def facet_condition(facet: ValuesFacet | RangeFacet, columns: list[ColumnType]) -> exp.Expr:
    """The SQL test of one facet selection (also used to compute facets under other facets' filters)."""
    type_name = find_column(columns, facet.column).type
    target = col(facet.column)
    is_null = exp.Is(this=target.copy(), expression=exp.Null())
    if isinstance(facet, ValuesFacet):
        present = [typed_lit(v, type_name) for v in facet.values if v is not None]
        parts: list[exp.Expr] = [exp.In(this=target, expressions=present)] if present else []
        if facet.include_null or None in facet.values:
            parts.append(is_null)
        test = and_all(parts, "any") if parts else exp.false()
        return (
            exp.Not(this=exp.Paren(this=exp.Coalesce(this=test, expressions=[exp.false()]))) if facet.invert else test
        )
    bounds: list[exp.Expr] = []
    if facet.min is not None:
        bounds.append(exp.GTE(this=target.copy(), expression=typed_lit(facet.min, type_name)))
    if facet.max is not None:
        bounds.append(exp.LTE(this=target.copy(), expression=typed_lit(facet.max, type_name)))
    in_range = and_all(bounds)
    return exp.Paren(this=exp.or_(in_range, is_null)) if facet.include_null else in_range


def describe_facet(facet: ValuesFacet | RangeFacet) -> str:
    if isinstance(facet, ValuesFacet):
        shown = [str(v) for v in facet.values if v is not None] + (["(empty)"] if facet.include_null else [])
        verb = "is not" if facet.invert else "is"
        return f"{facet.column} {verb} {quote_list(shown)}" if shown else f"{facet.column} matches nothing"
    if facet.min is not None and facet.max is not None:
        return f"{facet.column} is between {facet.min} and {facet.max}"
    return f"{facet.column} is {'at least ' + str(facet.min) if facet.min is not None else 'at most ' + str(facet.max)}"


def _facet_sql(config: FacetFilterConfig, ctx: StepContext) -> exp.Query:
    test = and_all([facet_condition(f, ctx.columns) for f in config.facets])
    return select([col(c.name) for c in ctx.columns], ctx.source).where(test, copy=False)


register(
    OpSpec(
        "facet_filter",
        "Keep facet selection",
        "rows",
        FacetFilterConfig,
        describe=lambda c: "Keep rows where " + " and ".join(describe_facet(f) for f in c.facets),
        output_columns=_same,
        to_sql=_facet_sql,
        columns_used=lambda c: [f.column for f in c.facets],
    )
)


# ---- deduplicate -----------------------------------------------------------------------------------


class DedupeConfig(OpConfig):
    keys: list[str] = Field(min_length=1, description="rows with the same values here are duplicates")
    order_by: str | None = Field(None, description="which duplicate to keep is decided by this column")
    keep: Literal["latest", "earliest"] = "latest"


def _dedupe_sql(config: DedupeConfig, ctx: StepContext) -> exp.Query:
    order = [ordered(config.order_by, config.keep == "latest")] if config.order_by else [ordered(config.keys[0], False)]
    rank = exp.Window(
        this=exp.RowNumber(),
        partition_by=[col(k) for k in config.keys],
        order=exp.Order(expressions=order),
    )
    inner_items = [col(c.name) for c in ctx.columns] + [exp.Alias(this=rank, alias=exp.to_identifier(RANK))]
    inner = select(inner_items, ctx.source).subquery("_d")
    outer = select([col(c.name) for c in ctx.columns], inner)
    return outer.where(exp.EQ(this=exp.column(RANK), expression=exp.Literal.number(1)), copy=False)


def _describe_dedupe(c: DedupeConfig) -> str:
    which = f", keeping the {c.keep} {c.order_by}" if c.order_by else ", keeping one row each"
    return f"Remove duplicate rows by {names(c.keys)}{which}"


register(
    OpSpec(
        "deduplicate",
        "Remove duplicates",
        "rows",
        DedupeConfig,
        describe=_describe_dedupe,
        output_columns=_same,
        to_sql=_dedupe_sql,
        columns_used=lambda c: [*c.keys, *([c.order_by] if c.order_by else [])],
    )
)
