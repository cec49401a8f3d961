"""A chart spec → one SQL query in the warehouse's dialect: names quoted, filter values bound, never pasted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines.charts.expression import expression_sql, parse_expression
from pipelines.charts.spec import MAX_LIMIT, ChartSpec, FilterSpec, MetricSpec
from pipelines.errors import BadInputError
from pipelines.warehouse.base import ColumnInfo, Filter, FilterOp
from pipelines.warehouse.sql import Dialect, Params, PostgresDialect, page_clause, predicate

SCATTER_POINTS = 5000


class ChartQueryError(BadInputError):
    """The spec asks for something its table cannot give (text summed, a wrong-typed filter value)."""


class ChartColumnMissing(ChartQueryError):
    """The chart names a column its table no longer has (renamed or removed)."""


@dataclass
class OutColumn:
    name: str
    role: str  # dimension | series | metric | column | bucket
    type: str = ""


@dataclass
class BuiltQuery:
    """The statement, its bound values, what each output column is, and (tables) a matching COUNT."""

    sql: str
    params: Params
    columns: list[OutColumn]
    count_sql: str | None = None
    count_params: Params | None = None
    page: tuple[int, int] | None = None  # (limit, offset) of a paged table
    notes: list[str] = field(default_factory=list)

    def shown(self) -> str:
        """The SQL as a person reads it: bound values appear as ?."""
        text = self.sql.replace(PostgresDialect.TOKEN, "?")
        for i in reversed(range(len(self.params.values))):
            text = text.replace(f"@p{i}", "?")
        return text


class Builder:
    """Builds the query of one spec against one table's columns."""

    def __init__(self, spec: ChartSpec, dialect: Dialect, relation: str, columns: Sequence[ColumnInfo]) -> None:
        self.spec, self.dialect, self.relation = spec, dialect, relation
        self.columns = {c.name: c for c in columns}
        self.where_params = Params(dialect)

    def column(self, name: str) -> ColumnInfo:
        found = self.columns.get(name)
        if found is None:
            raise ChartColumnMissing(
                f"The chart uses the column '{name}', which its table no longer has",
                hint="It may have been renamed or removed; edit the chart and pick another column",
            )
        return found

    def q(self, name: str) -> str:
        return self.dialect.quote(self.column(name).name)

    def where(self, params: Params, extra: Sequence[str] = ()) -> str:
        parts = [
            predicate(self.dialect, params, self.column(f.column), typed_filter(self.column(f.column), f))
            for f in self.spec.filters
        ]
        parts += list(extra)
        return f" WHERE {' AND '.join(parts)}" if parts else ""

    # --- expressions -------------------------------------------------------------------------------
    def dimension(self, name: str, grain: str | None) -> str:
        col = self.column(name)
        if grain is None:
            return self.dialect.groupable(self.q(name), col.kind)
        if col.kind not in ("date", "datetime"):
            raise ChartQueryError(
                f"'{name}' holds {col.kind} values, not dates, so it cannot be grouped by {grain}",
                hint="Pick a date column, or turn the text into dates with Parse dates in a recipe",
            )
        return truncate(self.dialect, self.q(name), col, grain)

    def metric(self, m: MetricSpec) -> str:
        if m.expression:
            tree = parse_expression(m.expression, self.dialect.name, list(self.columns.values()))
            return expression_sql(tree, self.dialect.name)
        if m.agg == "count":
            return f"COUNT({self.q(m.column)})" if m.column else "COUNT(*)"
        col = self.column(m.column or "")
        if m.agg == "count_distinct":
            return f"COUNT(DISTINCT {self.dialect.groupable(self.q(col.name), col.kind)})"
        if m.agg in ("sum", "avg", "median") and col.kind not in ("integer", "number"):
            word = {"sum": "add up", "avg": "average", "median": "take the median of"}[m.agg]
            raise ChartQueryError(
                f"Cannot {word} '{col.name}': it holds {col.kind} values, not numbers",
                hint="Count it instead, or convert it to numbers in a recipe",
            )
        return aggregate(self.dialect, m.agg, self.q(col.name))


def typed_filter(column: ColumnInfo, f: FilterSpec) -> Filter:
    """The filter with its value checked against the column's type; a wrong type is a plain 400."""
    op = FilterOp(f.op)
    if op in (FilterOp.IS_NULL, FilterOp.NOT_NULL, FilterOp.CONTAINS, FilterOp.STARTS_WITH):
        return Filter(column.name, op, f.value)
    values = f.value if isinstance(f.value, list) else [f.value]
    for value in values:
        _check_value(column, value)
    return Filter(column.name, op, f.value)


def _check_value(column: ColumnInfo, value: Any) -> None:
    kind = column.kind
    ok = True
    if value is None:
        ok = False
    elif kind in ("integer", "number"):
        ok = _is_number(value, integer=kind == "integer")
    elif kind in ("date", "datetime"):
        ok = _is_date(value)
    elif kind == "boolean":
        ok = isinstance(value, bool) or str(value).lower() in ("true", "false")
    if not ok:
        want = {
            "integer": "a whole number",
            "number": "a number",
            "date": "a date like 2024-03-31",
            "datetime": "a date like 2024-03-31",
            "boolean": "true or false",
        }.get(kind, "a value")
        raise ChartQueryError(
            f"The filter on '{column.name}' needs {want}; {value!r} is not one",
            hint="Change the filter's value",
        )


def _is_number(value: Any, *, integer: bool) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return False
    return number.is_finite() and (not integer or number == number.to_integral_value())


def _is_date(value: Any) -> bool:
    if isinstance(value, date | datetime):
        return True
    try:
        datetime.fromisoformat(str(value).strip())
    except ValueError:
        return False
    return True


def aggregate(dialect: Dialect, agg: str, col: str) -> str:
    """An aggregate of a quoted numeric or sortable column."""
    if agg == "median":
        if dialect.name == "postgres":
            return f"PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY {col})"
        if dialect.name == "bigquery":
            return f"APPROX_QUANTILES({col}, 2)[OFFSET(1)]"
        return f"MEDIAN({col})"
    return {"sum": "SUM", "avg": "AVG", "min": "MIN", "max": "MAX"}[agg] + f"({col})"


_BQ_GRAIN = {"day": "DAY", "week": "WEEK(MONDAY)", "month": "MONTH", "quarter": "QUARTER", "year": "YEAR"}


def truncate(dialect: Dialect, col: str, column: ColumnInfo, grain: str) -> str:
    """The start of the day/week (Monday)/month/quarter/year holding each value."""
    if dialect.name == "bigquery":
        fn = {"DATE": "DATE_TRUNC", "DATETIME": "DATETIME_TRUNC"}.get(column.type.upper(), "TIMESTAMP_TRUNC")
        return f"{fn}({col}, {_BQ_GRAIN[grain]})"
    return f"DATE_TRUNC('{grain}', {col})"


def build(
    spec: ChartSpec,
    dialect: Dialect,
    relation: str,
    columns: Sequence[ColumnInfo],
    *,
    limit: int | None = None,
    offset: int = 0,
) -> BuiltQuery:
    """The one query that draws `spec` (tables: one page of it, with a COUNT for the pager)."""
    b = Builder(spec, dialect, relation, columns)
    for f in spec.filters:
        b.column(f.column)
    if spec.chart_type == "histogram":
        return _histogram(b)
    if spec.chart_type == "scatter":
        return _scatter(b)
    if spec.chart_type == "number":
        return _number(b)
    if spec.chart_type == "table" and not spec.metrics:
        return _rows(b, limit or spec.limit or 100, offset)
    return _grouped(b, limit, offset)


def _grouped(b: Builder, limit: int | None, offset: int) -> BuiltQuery:
    spec = b.spec
    dims = list(spec.dimensions) + (list(spec.pivot_columns) if spec.chart_type == "pivot" else [])
    grain = spec.time_grain
    exprs = [b.dimension(d, grain if i == 0 else None) for i, d in enumerate(dims)]
    metrics = [b.metric(m) for m in spec.metrics]
    params = Params(b.dialect)
    where = b.where(params)
    select = ", ".join(
        [f"{e} AS {b.dialect.quote(f'd{i}')}" for i, e in enumerate(exprs)]
        + [f"{e} AS {b.dialect.quote(f'm{i}')}" for i, e in enumerate(metrics)]
    )
    group = ", ".join(str(i + 1) for i in range(len(exprs)))
    sql = f"SELECT {select} FROM {b.relation}{where}" + (f" GROUP BY {group}" if group else "")
    sql += _order(b, len(exprs))
    paged = spec.chart_type == "table"
    page_limit = (limit or spec.limit or 100) if paged else min(spec.limit or MAX_LIMIT, MAX_LIMIT) + 1
    sql += page_clause(page_limit, offset if paged else 0)
    roles = ["dimension", "series"] if spec.chart_type in ("bar", "line", "area") else ["dimension"] * 4
    out = [OutColumn(d, roles[min(i, len(roles) - 1)], b.column(d).type) for i, d in enumerate(dims)]
    out += [OutColumn(m.name(), "metric") for m in spec.metrics]
    built = BuiltQuery(sql, params, out)
    if paged:
        built.page = (page_limit, offset)
        built.count_params = Params(b.dialect)
        inner = f"SELECT 1 FROM {b.relation}{b.where(built.count_params)}" + (f" GROUP BY {group}" if group else "")
        built.count_sql = f"SELECT COUNT(*) FROM ({inner}) AS {b.dialect.quote('_groups')}"
    return built


def _order(b: Builder, n_dims: int) -> str:
    """The spec's sort, else: time and series charts by their x, others by the first metric, largest first."""
    names = {d: i + 1 for i, d in enumerate(b.spec.dimensions[:n_dims])}
    names.update({m.name(): n_dims + i + 1 for i, m in enumerate(b.spec.metrics)})
    names.setdefault("metric", n_dims + 1)
    parts = []
    for key in b.spec.sort:
        if key.by not in names:
            raise ChartColumnMissing(
                f"The chart is sorted by '{key.by}', which it does not show",
                hint="Sort by one of its columns or metrics",
            )
        parts.append(f"{names[key.by]} {'DESC' if key.descending else 'ASC'} NULLS LAST")
    if not parts and n_dims:
        by_x = b.spec.chart_type in ("line", "area", "pivot", "table") or b.spec.time_grain is not None
        first = [] if by_x or not b.spec.metrics else [f"{n_dims + 1} DESC NULLS LAST"]
        parts = first + [f"{i + 1} ASC NULLS LAST" for i in range(n_dims)]
    return f" ORDER BY {', '.join(parts)}" if parts else ""


def _rows(b: Builder, limit: int, offset: int) -> BuiltQuery:
    """A table of rows, one page; the table is never read whole (LIMIT/OFFSET in the query itself)."""
    names = b.spec.dimensions or list(b.columns)
    params = Params(b.dialect)
    where = b.where(params)
    order = ""
    if b.spec.sort:
        order = " ORDER BY " + ", ".join(
            f"{b.q(k.by)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in b.spec.sort
        )
    select = ", ".join(b.q(n) for n in names)
    sql = f"SELECT {select} FROM {b.relation}{where}{order}{page_clause(limit, offset)}"
    count_params = Params(b.dialect)
    count_sql = f"SELECT COUNT(*) FROM {b.relation}{b.where(count_params)}"
    out = [OutColumn(n, "column", b.column(n).type) for n in names]
    return BuiltQuery(sql, params, out, count_sql, count_params, (limit, offset))


def _number(b: Builder) -> BuiltQuery:
    """One value; with a time column, the latest two periods (this one and the one before, for the change)."""
    metrics = [b.metric(m) for m in b.spec.metrics[:1]]
    params = Params(b.dialect)
    out = [OutColumn(b.spec.metrics[0].name(), "metric")]
    if not b.spec.time_column:
        return BuiltQuery(
            f"SELECT {metrics[0]} AS {b.dialect.quote('m0')} FROM {b.relation}{b.where(params)}", params, out
        )
    bucket = b.dimension(b.spec.time_column, b.spec.time_grain)
    where = b.where(params, [f"{b.q(b.spec.time_column)} IS NOT NULL"])
    sql = (
        f"SELECT {bucket} AS {b.dialect.quote('d0')}, {metrics[0]} AS {b.dialect.quote('m0')}"
        f" FROM {b.relation}{where} GROUP BY 1 ORDER BY 1 DESC LIMIT 2"
    )
    return BuiltQuery(sql, params, [OutColumn(b.spec.time_column, "bucket"), *out])


def _scatter(b: Builder) -> BuiltQuery:
    x, y = b.spec.dimensions[:2]
    for name in (x, y):
        if b.column(name).kind not in ("integer", "number"):
            raise ChartQueryError(f"A scatter chart needs numbers; '{name}' holds {b.column(name).kind} values")
    params = Params(b.dialect)
    where = b.where(params, [f"{b.q(x)} IS NOT NULL", f"{b.q(y)} IS NOT NULL"])
    limit = min(b.spec.limit or SCATTER_POINTS, MAX_LIMIT)
    sql = f"SELECT {b.q(x)}, {b.q(y)} FROM {b.relation}{where}{page_clause(limit)}"
    return BuiltQuery(sql, params, [OutColumn(x, "dimension"), OutColumn(y, "metric")])


def _histogram(b: Builder) -> BuiltQuery:
    """Counts per equal-width bin, with the range, in one statement (the range in a CTE)."""
    name = b.spec.dimensions[0]
    col = b.column(name)
    if col.kind not in ("integer", "number"):
        raise ChartQueryError(
            f"A histogram needs numbers; '{name}' holds {col.kind} values", hint="Use a bar chart to count text values"
        )
    d, q, n = b.dialect, b.q(name), b.spec.bins
    params = Params(d)
    num = d.float_type
    int_type = "INT64" if d.name == "bigquery" else "INTEGER"
    rng = f"SELECT MIN({q}) AS lo, MAX({q}) AS hi FROM {b.relation}{b.where(params, [f'{q} IS NOT NULL'])}"
    width = f"NULLIF(CAST(_dalgo_range.hi AS {num}) - CAST(_dalgo_range.lo AS {num}), 0)"
    bin_expr = f"COALESCE(LEAST({n - 1}, CAST(FLOOR((CAST({q} AS {num}) - _dalgo_range.lo) / {width} * {n}) AS {int_type})), 0)"
    rows_where = b.where(params, [f"{q} IS NOT NULL"])
    sql = (
        f"WITH _dalgo_range AS ({rng}) SELECT {bin_expr} AS bin, COUNT(*) AS n,"
        f" MIN(_dalgo_range.lo) AS lo, MIN(_dalgo_range.hi) AS hi"
        f" FROM {b.relation} CROSS JOIN _dalgo_range{rows_where} GROUP BY 1 ORDER BY 1"
    )
    return BuiltQuery(sql, params, [OutColumn(name, "bucket"), OutColumn("Rows", "metric")])
