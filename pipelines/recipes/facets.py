"""Facets over a recipe's current output (a table or the compiled SQL up to step k): text values with
counts, and numeric/date ranges with histograms. Other facets' selections can be applied first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipelines.recipes.core import ColumnType, RecipeError, kind_of
from pipelines.recipes.ops.rows import RangeFacet, ValuesFacet, facet_condition
from pipelines.recipes.preview import describe_relation
from pipelines.recipes.sqlkit import and_all, col, render


@dataclass(frozen=True)
class FacetValue:
    value: Any
    count: int


@dataclass(frozen=True)
class TextFacet:
    """The most frequent values, how many distinct values (empty counts as one) and rows there are."""

    column: str
    values: list[FacetValue]
    distinct: int
    rows: int


@dataclass(frozen=True)
class Bin:
    start: Any
    end: Any
    count: int


@dataclass(frozen=True)
class RangeFacetResult:
    """min/max of a numeric or date column, a histogram, and rows with no value."""

    column: str
    min: Any
    max: Any
    bins: list[Bin]
    empty: int


def _where(columns: list[ColumnType], filters: list[ValuesFacet | RangeFacet] | None, skip: str) -> str:
    # OpenRefine semantics: a facet is computed with every *other* facet's selection applied.
    tests = [facet_condition(f, columns) for f in filters or [] if f.column != skip]
    return render(and_all(tests), "duckdb")


def _column(columns: list[ColumnType], name: str) -> ColumnType:
    for c in columns:
        if c.name == name:
            return c
    raise RecipeError(f"column '{name}' does not exist here", column=name)


def text_facet(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    column: str,
    *,
    limit: int = 200,
    filters: list[ValuesFacet | RangeFacet] | None = None,
) -> TextFacet:
    """Values of `column` with their row counts, most frequent first."""
    columns = describe_relation(con, relation_sql)
    _column(columns, column)
    quoted = render(col(column), "duckdb")
    base = f"(SELECT {quoted} AS v FROM {relation_sql} AS _r WHERE {_where(columns, filters, column)})"
    rows = con.execute(
        f"SELECT v, COUNT(*) AS n FROM {base} GROUP BY v ORDER BY n DESC, v NULLS LAST LIMIT {int(limit)}"
    ).fetchall()
    distinct, total = con.execute(
        f"SELECT COUNT(DISTINCT v) + MAX(CASE WHEN v IS NULL THEN 1 ELSE 0 END), COUNT(*) FROM {base}"
    ).fetchone()  # type: ignore[misc]
    return TextFacet(column, [FacetValue(v, n) for v, n in rows], int(distinct or 0), int(total))


def numeric_facet(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    column: str,
    *,
    bins: int = 20,
    filters: list[ValuesFacet | RangeFacet] | None = None,
) -> RangeFacetResult:
    """min, max and an equal-width histogram of a numeric column."""
    return _range_facet(con, relation_sql, column, bins, filters, {"integer", "number"})


def date_facet(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    column: str,
    *,
    bins: int = 20,
    filters: list[ValuesFacet | RangeFacet] | None = None,
) -> RangeFacetResult:
    """min, max and an equal-width histogram (by time) of a date/timestamp column."""
    return _range_facet(con, relation_sql, column, bins, filters, {"temporal"})


def _range_facet(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    column: str,
    bins: int,
    filters: list[ValuesFacet | RangeFacet] | None,
    kinds: set[str],
) -> RangeFacetResult:
    columns = describe_relation(con, relation_sql)
    info = _column(columns, column)
    if kind_of(info.type) not in kinds:
        raise RecipeError(
            f"'{column}' is {info.type}; this facet needs a {'date' if 'temporal' in kinds else 'number'} column",
            column=column,
        )
    temporal = "temporal" in kinds
    quoted = render(col(column), "duckdb")
    value = f"EPOCH({quoted})" if temporal else f"CAST({quoted} AS DOUBLE)"
    base = f"(SELECT {value} AS x, {quoted} AS v FROM {relation_sql} AS _r WHERE {_where(columns, filters, column)})"
    low, high, empty, low_v, high_v = con.execute(
        f"SELECT MIN(x), MAX(x), COUNT(*) FILTER (WHERE x IS NULL), MIN(v), MAX(v) FROM {base}"
    ).fetchone()  # type: ignore[misc]
    if low is None:
        return RangeFacetResult(column, None, None, [], int(empty))
    bins = max(1, int(bins))
    width = (high - low) / bins or 1.0
    counts = dict(
        con.execute(
            f"SELECT LEAST(CAST(FLOOR((x - ?) / ?) AS BIGINT), ?) AS b, COUNT(*) FROM {base} WHERE x IS NOT NULL GROUP BY b",
            [low, width, bins - 1],
        ).fetchall()
    )
    edges = [low + width * i for i in range(bins + 1)]
    convert = _from_epoch(low_v) if temporal else (lambda x: x)
    result = [Bin(convert(edges[i]), convert(edges[i + 1]), int(counts.get(i, 0))) for i in range(bins)]
    return RangeFacetResult(column, low_v, high_v, result, int(empty))


def _from_epoch(sample: Any) -> Any:
    """Bin edges back in the column's own type (date, naive or zoned timestamp)."""

    def convert(seconds: float) -> Any:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(sample, datetime):
            return moment.astimezone(sample.tzinfo) if sample.tzinfo else moment.replace(tzinfo=None)
        return moment.date()

    return convert
