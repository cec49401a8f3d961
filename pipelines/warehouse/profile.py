"""Column profile: counts, range, mean, top values and a histogram, in three queries on any SQL warehouse."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pipelines.warehouse.base import (
    ColumnInfo,
    ColumnProfile,
    HistogramBin,
    Scalar,
    ValueCount,
    is_numeric,
    is_tz_aware,
)

if TYPE_CHECKING:
    from pipelines.warehouse.sqlclient import SqlWarehouse

TOP_VALUES = 10
BINS = 20
_EPOCH = datetime(1970, 1, 1)
DAY = 86_400.0


def profile_column(wh: SqlWarehouse, schema: str, table: str, column: ColumnInfo) -> ColumnProfile:
    """Profile one column of `schema.table` (already checked to exist)."""
    d = wh.dialect
    col = d.quote(column.name)
    measure = _measure_expr(wh, column)
    ranged = measure is not None
    parts = [
        "COUNT(*)",
        f"COUNT({col})",
        f"COUNT(DISTINCT {d.groupable(col, column.kind)})",
        f"MIN({col})" if ranged else "NULL",
        f"MAX({col})" if ranged else "NULL",
        f"AVG({measure})" if ranged else "NULL",
        f"MIN({measure})" if ranged else "NULL",
        f"MAX({measure})" if ranged else "NULL",
    ]
    stats = wh._fetch(f"SELECT {', '.join(parts)} FROM {d.table(schema, table)}", wh._params())[0]
    rows, non_null, distinct, low, high, mean, lo, hi = stats
    aware = is_tz_aware(wh.dialect.name, column)
    histogram: list[HistogramBin] = []
    if measure is not None and lo is not None and hi is not None:
        histogram = _histogram(wh, schema, table, column, measure, (float(lo), float(hi)), int(non_null), aware)
    return ColumnProfile(
        column=column.name,
        type=column.type,
        kind=column.kind,
        rows=int(rows),
        nulls=int(rows) - int(non_null),
        distinct=int(distinct) if distinct is not None else None,
        min=low,
        max=high,
        mean=None if mean is None else _edge(column, float(mean), aware, exact=True),
        top_values=_top_values(wh, schema, table, column),
        histogram=histogram,
    )


def _measure_expr(wh: SqlWarehouse, column: ColumnInfo) -> str | None:
    """The column as a float (numbers) or epoch seconds (dates); None when it has no range."""
    col = wh.dialect.quote(column.name)
    if is_numeric(column.kind):
        return f"CAST({col} AS {wh.dialect.float_type})"
    if column.kind in ("date", "datetime"):
        return wh.dialect.epoch(col, column.type)
    return None


def _top_values(wh: SqlWarehouse, schema: str, table: str, column: ColumnInfo) -> list[ValueCount]:
    d = wh.dialect
    col = d.quote(column.name)
    value = d.groupable(col, column.kind)
    sql = (
        f"SELECT {value}, COUNT(*) FROM {d.table(schema, table)} WHERE {col} IS NOT NULL"
        f" GROUP BY 1 ORDER BY 2 DESC, 1 ASC LIMIT {TOP_VALUES}"
    )
    return [ValueCount(v, int(n)) for v, n in wh._fetch(sql, wh._params())]


def _bin_layout(column: ColumnInfo, lo: float, hi: float) -> tuple[float, int]:
    """Bin width and count: whole units for integers and whole days for dates, so edges read naturally."""
    unit = 1.0 if column.kind == "integer" else DAY if column.kind == "date" else 0.0
    if unit:
        steps = round((hi - lo) / unit) + 1
        width = max(1, math.ceil(steps / BINS)) * unit
        return width, math.ceil(steps * unit / width)
    if hi == lo:
        return 0.0, 1
    return (hi - lo) / BINS, BINS


def _histogram(
    wh: SqlWarehouse,
    schema: str,
    table: str,
    column: ColumnInfo,
    measure: str,
    bounds: tuple[float, float],
    non_null: int,
    aware: bool,
) -> list[HistogramBin]:
    lo, hi = bounds
    width, bins = _bin_layout(column, lo, hi)
    if width == 0.0:
        return [HistogramBin(_edge(column, lo, aware), _edge(column, hi, aware), non_null)]
    d = wh.dialect
    params = wh._params()
    offset = params.bind(lo, d.float_type)
    step = params.bind(width, d.float_type)
    bucket = f"LEAST(CAST(FLOOR(({measure} - {offset}) / {step}) AS BIGINT), {bins - 1})"
    if d.name == "bigquery":
        bucket = bucket.replace("AS BIGINT", "AS INT64")
    sql = (
        f"SELECT {bucket}, COUNT(*) FROM {d.table(schema, table)}"
        f" WHERE {d.quote(column.name)} IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    counts = {int(b): int(n) for b, n in wh._fetch(sql, params)}
    return [
        HistogramBin(_edge(column, lo + i * width, aware), _edge(column, lo + (i + 1) * width, aware), counts.get(i, 0))
        for i in range(bins)
    ]


def _edge(column: ColumnInfo, value: float, aware: bool, exact: bool = False) -> Scalar:
    """A bin edge (or the mean, `exact`) in the column's own terms: int, float, date or datetime."""
    if column.kind == "integer" and not exact:
        return round(value)
    if column.kind == "date":
        return (_EPOCH + timedelta(days=math.floor(value / DAY) if exact else round(value / DAY))).date()
    if column.kind == "datetime":
        moment = _EPOCH + timedelta(seconds=value)
        return moment.replace(tzinfo=UTC) if aware else moment
    return float(f"{value:.12g}")  # 5.324999999999999 → 5.325: edges are read by people
