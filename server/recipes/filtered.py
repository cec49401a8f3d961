"""Facet selections on a recipe's preview (OpenRefine's "click to filter"): rows are filtered, the recipe is not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from pipelines.recipes import Recipe, compiled_relation, describe_relation
from pipelines.recipes.cache import PreviewCache, step_keys
from pipelines.recipes.ops.rows import RangeFacet, ValuesFacet
from pipelines.warehouse import Filter
from pipelines.warehouse.base import ColumnInfo, FilterOp, UnknownColumn, column_kind
from pipelines.warehouse.sql import Dialect, Params, page_clause, where_clause
from server.recipes.errors import BadPreviewFilter


def output_relation(
    con: duckdb.DuckDBPyConnection,
    recipe: Recipe,
    *,
    input_relation: str,
    upto: int | None,
    sample: int | None,
    relations: Mapping[str, str],
    cache: PreviewCache,
    data_version: str,
) -> str:
    """The step's output: the preview cache's table when the plain preview just stored it, else the compiled SQL."""
    last = len(recipe.steps) if upto is None else max(0, min(upto, len(recipe.steps)))
    keys = step_keys(
        recipe, last, input_relation=input_relation, data_version=data_version, sample=sample, relations=relations
    )
    hit = cache.best(con, keys, need_warnings=False)
    if hit is not None and hit[0] == last:
        return hit[1].table
    return compiled_relation(con, recipe, input_relation=input_relation, upto=upto, relations=relations, sample=sample)


def filtered_page(
    con: duckdb.DuckDBPyConnection, relation: str, filters: list[Filter], limit: int, where_label: str
) -> tuple[list[dict[str, str]], list[list[Any]], int]:
    """Columns, first `limit` rows and the number of rows matching every filter (values bound, names quoted)."""
    columns = describe_relation(con, relation)
    infos = [ColumnInfo(c.name, c.type, kind=column_kind(c.type)) for c in columns]
    dialect = Dialect()
    params = Params(dialect)
    try:
        where = where_clause(dialect, params, infos, "preview", where_label, filters)
    except UnknownColumn as err:
        raise BadPreviewFilter(
            f"Column '{err.column}' does not exist {where_label}; clear that filter or pick another column."
        ) from err
    sql = f"SELECT * FROM {relation} AS _r{where}"
    try:
        rows = [list(r) for r in con.execute(sql + page_clause(limit), params.values).fetchall()]
        # A short page already tells the total: one scan fewer.
        total = len(rows) if len(rows) < limit else _count(con, sql, params.values)
    except duckdb.ConversionException as err:
        raise BadPreviewFilter(f"A filter value does not fit its column: {str(err).splitlines()[0]}") from err
    return [{"name": c.name, "type": c.type} for c in columns], rows, total


def _count(con: duckdb.DuckDBPyConnection, sql: str, values: list[str]) -> int:
    found = con.execute(f"SELECT COUNT(*) FROM ({sql}) AS _f", values).fetchone()
    return int(found[0]) if found else 0


def facet_selections(filters: list[Filter]) -> list[ValuesFacet | RangeFacet]:
    """The preview's filters as facet selections, so a facet's counts follow the other facets' choices."""
    out: list[ValuesFacet | RangeFacet] = []
    for f in filters:
        if f.op is FilterOp.IN:
            out.append(ValuesFacet(column=f.column, values=list(f.value)))
        elif f.op is FilterOp.BETWEEN:
            out.append(RangeFacet(column=f.column, min=f.value[0], max=f.value[1]))
        elif f.op is FilterOp.IS_NULL:
            out.append(ValuesFacet(column=f.column, values=[], include_null=True))
        else:
            raise BadPreviewFilter(
                f"A facet can follow 'in', 'between' and 'is_null' filters, not '{f.op}' on '{f.column}'."
            )
    return out


def echo(filters: list[Filter]) -> list[dict[str, Any]]:
    """The filters as the caller sent them, for the response."""
    return [{"column": f.column, "op": str(f.op), "value": f.value} for f in filters]
