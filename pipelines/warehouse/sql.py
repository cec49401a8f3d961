"""SQL building shared by the three warehouses: quoting, bound parameters, filters and sort."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from pipelines.warehouse.base import (
    BadFilter,
    ColumnInfo,
    ColumnKind,
    Filter,
    FilterOp,
    QueryNotAllowed,
    SortKey,
    UnknownColumn,
    WarehouseError,
)

_COMPARISONS = {
    FilterOp.EQ: "=",
    FilterOp.NE: "IS DISTINCT FROM",  # "not x" keeps empty cells, as a spreadsheet user expects
    FilterOp.LT: "<",
    FilterOp.LE: "<=",
    FilterOp.GT: ">",
    FilterOp.GE: ">=",
}


class Dialect:
    """DuckDB flavour; Postgres and BigQuery override what differs."""

    name = "duckdb"
    text_type = "VARCHAR"
    float_type = "DOUBLE"

    def quote(self, ident: str) -> str:
        """Quote an identifier so any name, even `x"; DROP TABLE y; --`, is just a name."""
        return '"' + ident.replace('"', '""') + '"'

    def table(self, schema: str, table: str) -> str:
        """A fully qualified, quoted table reference."""
        return f"{self.quote(schema)}.{self.quote(table)}"

    def placeholder(self, index: int) -> str:
        """The marker for the index-th bound value."""
        return "?"

    def cast_type(self, column: ColumnInfo) -> str:
        """The type a filter value is cast to before comparing with `column`."""
        if column.type.upper().startswith("DECIMAL"):
            return self.float_type  # DECIMAL(p,s) would round the user's value before comparing
        return column.type

    def as_text(self, expr: str, kind: ColumnKind) -> str:
        """`expr` as text, for text matching on any column."""
        return f"CAST({expr} AS {self.text_type})"

    def groupable(self, expr: str, kind: ColumnKind) -> str:
        """An expression that GROUP BY and COUNT(DISTINCT) accept for this column."""
        return expr

    def epoch(self, expr: str, sql_type: str) -> str:
        """Seconds since 1970-01-01 UTC as a float, for dates and timestamps."""
        return f"CAST(epoch({expr}) AS DOUBLE)"

    def sortable(self, kind: ColumnKind) -> bool:
        """Whether ORDER BY accepts this kind of column."""
        return True


class PostgresDialect(Dialect):
    """Postgres: psycopg2 `%s` markers (emitted via a token so `%` in names survives), text casts."""

    name = "postgres"
    text_type = "text"
    float_type = "double precision"
    TOKEN = "\x00dalgo_param\x00"

    def placeholder(self, index: int) -> str:
        return self.TOKEN

    def cast_type(self, column: ColumnInfo) -> str:
        # varchar(20)/numeric(10,2) casts would truncate or round the user's value before comparing
        return re.sub(r"\([^)]*\)", "", column.type).strip()

    def groupable(self, expr: str, kind: ColumnKind) -> str:
        return f"CAST({expr} AS text)" if kind == "other" else expr  # json has no equality operator

    def epoch(self, expr: str, sql_type: str) -> str:
        return f"CAST(EXTRACT(EPOCH FROM {expr}) AS double precision)"

    @classmethod
    def to_psycopg(cls, sql: str) -> str:
        """Turn built SQL into psycopg2 text: literal `%` doubled, tokens into `%s`."""
        return sql.replace("%", "%%").replace(cls.TOKEN, "%s")


class BigQueryDialect(Dialect):
    """BigQuery standard SQL: backtick identifiers, `@pN` parameters, STRING casts."""

    name = "bigquery"
    text_type = "STRING"
    float_type = "FLOAT64"

    def __init__(self, project: str) -> None:
        self.project = project

    def quote(self, ident: str) -> str:
        return "`" + ident.replace("\\", "\\\\").replace("`", "\\`") + "`"

    def table(self, schema: str, table: str) -> str:
        return f"{self.quote(self.project)}.{self.quote(schema)}.{self.quote(table)}"

    def placeholder(self, index: int) -> str:
        return f"@p{index}"

    def cast_type(self, column: ColumnInfo) -> str:
        if column.kind == "other":
            raise BadFilter(f"Column '{column.name}' ({column.type}) can only be filtered with contains or null tests")
        return column.type

    def as_text(self, expr: str, kind: ColumnKind) -> str:
        return f"TO_JSON_STRING({expr})" if kind == "other" else f"CAST({expr} AS STRING)"

    def groupable(self, expr: str, kind: ColumnKind) -> str:
        return f"TO_JSON_STRING({expr})" if kind == "other" else expr

    def epoch(self, expr: str, sql_type: str) -> str:
        inner = expr if sql_type.upper() == "TIMESTAMP" else f"TIMESTAMP({expr})"  # DATE/DATETIME read as UTC
        return f"CAST(UNIX_MICROS({inner}) / 1000000 AS FLOAT64)"

    def sortable(self, kind: ColumnKind) -> bool:
        return kind != "other"


@dataclass
class Params:
    """Values bound to one statement, in placeholder order; every value travels as text and is cast in SQL."""

    dialect: Dialect
    values: list[str] = field(default_factory=list)

    def bind(self, value: Any, sql_type: str) -> str:
        """Add a value; returns `CAST(<marker> AS sql_type)` for the statement text."""
        self.values.append(value_text(value))
        return f"CAST({self.dialect.placeholder(len(self.values) - 1)} AS {sql_type})"


def value_text(value: Any) -> str:
    """The text form of a filter value, understood by every warehouse's CAST."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, str | int | float | Decimal):
        return str(value) if not isinstance(value, float) else repr(value)
    raise BadFilter(f"Filter value {value!r} is not a text, number, boolean or date")


def by_name(columns: Sequence[ColumnInfo], schema: str, table: str, name: str) -> ColumnInfo:
    """The column called `name`, or UnknownColumn naming it."""
    for column in columns:
        if column.name == name:
            return column
    raise UnknownColumn(schema, table, name)


def predicate(dialect: Dialect, params: Params, column: ColumnInfo, flt: Filter) -> str:
    """One filter as a SQL condition with its values bound."""
    col = dialect.quote(column.name)
    op = FilterOp(flt.op)
    if op is FilterOp.IS_NULL:
        return f"{col} IS NULL"
    if op is FilterOp.NOT_NULL:
        return f"{col} IS NOT NULL"
    if op in (FilterOp.CONTAINS, FilterOp.STARTS_WITH):
        haystack = f"LOWER({dialect.as_text(col, column.kind)})"
        needle = f"LOWER({params.bind(str(flt.value), dialect.text_type)})"
        if op is FilterOp.CONTAINS:
            return f"STRPOS({haystack}, {needle}) > 0"
        return f"STARTS_WITH({haystack}, {needle})"
    cast = dialect.cast_type(column)
    if op is FilterOp.IN:
        return f"{col} IN ({', '.join(params.bind(v, cast) for v in flt.value)})"
    if op is FilterOp.BETWEEN:
        low, high = flt.value
        return f"{col} BETWEEN {params.bind(low, cast)} AND {params.bind(high, cast)}"
    return f"{col} {_COMPARISONS[op]} {params.bind(flt.value, cast)}"


def where_clause(
    dialect: Dialect, params: Params, columns: Sequence[ColumnInfo], schema: str, table: str, filters: Sequence[Filter]
) -> str:
    """`WHERE a AND b ...` for the filters (all must hold), or an empty string."""
    parts = [predicate(dialect, params, by_name(columns, schema, table, f.column), f) for f in filters]
    return f" WHERE {' AND '.join(parts)}" if parts else ""


def order_clause(
    dialect: Dialect, columns: Sequence[ColumnInfo], schema: str, table: str, sort: Sequence[SortKey]
) -> str:
    """`ORDER BY ...` with nulls last in both directions (each warehouse has another default)."""
    parts = []
    for key in sort:
        column = by_name(columns, schema, table, key.column)
        if not dialect.sortable(column.kind):
            raise WarehouseError(f"Column '{column.name}' ({column.type}) cannot be sorted")
        parts.append(f"{dialect.quote(column.name)} {'DESC' if key.descending else 'ASC'} NULLS LAST")
    return f" ORDER BY {', '.join(parts)}" if parts else ""


def select_list(dialect: Dialect, columns: Sequence[ColumnInfo]) -> str:
    """Every column, quoted, in table order."""
    return ", ".join(dialect.quote(c.name) for c in columns)


def page_clause(limit: int | None, offset: int = 0) -> str:
    """LIMIT/OFFSET from validated integers (inlined: ints cannot carry SQL)."""
    if limit is None:
        return ""
    return f" LIMIT {int(limit)}" + (f" OFFSET {int(offset)}" if offset else "")


_WRITES = (
    exp.DML,
    exp.DDL,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Into,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Set,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Grant,
    exp.Install,
    exp.Lock,
)


def parse_read_only(sql: str, dialect: str) -> exp.Query:
    """Parse `sql` and accept only one SELECT/WITH/set query with nothing that writes; else QueryNotAllowed."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, TokenError) as err:
        raise QueryNotAllowed(f"The query could not be read: {err}", hint="Check the SQL for typos") from err
    if len(statements) != 1:
        raise QueryNotAllowed(
            f"Only one statement can run at a time; found {len(statements)}", hint="Run the statements one by one"
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryNotAllowed(
            f"Only SELECT queries can run in the explorer; this is a {tree.key.upper()} statement",
            hint="Change data with a transform or a sync instead",
        )
    for node in tree.walk():
        if isinstance(node, _WRITES):
            raise QueryNotAllowed(
                f"The query contains a {node.key.upper()} clause, which changes data or settings",
                hint="Only read-only SELECT queries can run in the explorer",
            )
    return tree


def statement_text(sql: str) -> str:
    """The query text without trailing semicolons, ready to be wrapped in a subquery."""
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def limited(sql: str, limit: int) -> str:
    """`sql` wrapped so at most `limit` rows come back; the newline keeps a trailing `--` comment harmless."""
    return f"SELECT * FROM (\n{statement_text(sql)}\n) AS _dalgo_query LIMIT {int(limit)}"
