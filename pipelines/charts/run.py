"""Run a chart's query on the org's warehouse client and shape the rows for drawing."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipelines.charts.query import BuiltQuery, ChartQueryError, OutColumn, build
from pipelines.charts.spec import MAX_LIMIT, ChartSpec
from pipelines.warehouse.base import ColumnInfo, UnknownTable
from pipelines.warehouse.sqlclient import SqlWarehouse

MODEL_SCHEMA = "analytics"


class ChartTableMissing(ChartQueryError):
    """The chart's table is gone (dropped, renamed, or its source not synced yet)."""


@dataclass
class ChartResult:
    """Rows ready to draw: named columns, the rows, and for pages the total."""

    columns: list[OutColumn]
    rows: list[list[Any]]
    total: int | None
    sql: str
    change: float | None = None
    truncated: bool = False
    page: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)


def table_of(spec: ChartSpec, model_schema: str = MODEL_SCHEMA) -> tuple[str, str]:
    """(schema, table) the chart reads."""
    if spec.input.model:
        return model_schema, spec.input.model
    return spec.input.schema_ or "", spec.input.table or ""


def table_columns(client: SqlWarehouse, schema: str, table: str) -> list[ColumnInfo]:
    """The table's columns, or ChartTableMissing naming it."""
    try:
        return client.columns(schema, table)
    except UnknownTable as err:
        raise ChartTableMissing(
            f"The chart's table '{schema}.{table}' does not exist any more",
            hint="Sync its source or run its transform again, or edit the chart to use another table",
        ) from err


def run_chart(
    client: SqlWarehouse,
    spec: ChartSpec,
    *,
    limit: int | None = None,
    offset: int = 0,
    model_schema: str = MODEL_SCHEMA,
    columns: list[ColumnInfo] | None = None,
) -> ChartResult:
    """Build the spec's query for the client's dialect, run it with bound values, shape the rows."""
    schema, table = table_of(spec, model_schema)
    cols = columns if columns is not None else table_columns(client, schema, table)
    built = build(spec, client.dialect, client.dialect.table(schema, table), cols, limit=limit, offset=offset)
    return shape(spec, built, fetch(client, built))


def fetch(client: SqlWarehouse, built: BuiltQuery) -> tuple[list[list[Any]], int | None]:
    """The rows (numbers as floats/ints) and, for a paged table, the total."""
    # `_fetch` is the one bound-parameter runner every SqlWarehouse has (`query()` takes no parameters).
    rows = [[_plain(v) for v in row] for row in client._fetch(built.sql, built.params)]
    total = None
    if built.count_sql is not None and built.count_params is not None:
        total = int(client._fetch(built.count_sql, built.count_params)[0][0])
    return rows, total


def shape(spec: ChartSpec, built: BuiltQuery, fetched: tuple[list[list[Any]], int | None]) -> ChartResult:
    """Rows as the renderer wants them for each chart type."""
    rows, total = fetched
    result = ChartResult(built.columns, rows, total, built.shown(), page=built.page)
    if spec.chart_type == "histogram":
        result.rows = _bins(rows, spec.bins)
        result.columns = [OutColumn("From", "bucket"), OutColumn("To", "bucket"), OutColumn("Rows", "metric")]
    elif spec.chart_type == "number":
        result.change = _change(rows) if spec.time_column else None
    elif built.page is None and spec.chart_type != "scatter" and len(rows) > min(spec.limit or MAX_LIMIT, MAX_LIMIT):
        result.rows, result.truncated = rows[: min(spec.limit or MAX_LIMIT, MAX_LIMIT)], True
    if result.total is None:
        result.total = len(result.rows)
    return result


def _bins(rows: list[list[Any]], bins: int) -> list[list[Any]]:
    if not rows:
        return []
    lo, hi = float(rows[0][2]), float(rows[0][3])
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = {int(r[0]): int(r[1]) for r in rows}
    count = bins if hi > lo else 1
    return [[lo + i * width, lo + (i + 1) * width, counts.get(i, 0)] for i in range(count)]


def _change(rows: list[list[Any]]) -> float | None:
    """(this period - the one before) / |the one before|; None without two periods or with a zero before."""
    if len(rows) < 2 or rows[1][1] in (None, 0) or rows[0][1] is None:
        return None
    return (float(rows[0][1]) - float(rows[1][1])) / abs(float(rows[1][1]))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    return value
