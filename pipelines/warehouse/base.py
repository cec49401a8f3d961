"""The warehouse client interface used by the Data explorer: typed results, filters, errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

import pyarrow as pa

from pipelines.errors import NotFoundError, TerminalError

ColumnKind = Literal["number", "integer", "text", "date", "datetime", "boolean", "other"]
ExportFormat = Literal["csv", "xlsx", "parquet"]
LoadMode = Literal["replace", "append"]

XLSX_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows per sheet, less the header row
PREVIEW_MAX_LIMIT = 10_000


class WarehouseError(TerminalError):
    """A warehouse operation failed in a way retrying cannot fix."""


class UnknownTable(WarehouseError, NotFoundError):
    """The schema or table does not exist."""

    def __init__(self, schema: str, table: str) -> None:
        super().__init__(
            f"Table '{schema}.{table}' does not exist in the warehouse"
            if schema
            else f"Table '{table}' does not exist",
            hint="Refresh the table list; it may have been renamed or dropped by a sync or transform",
        )
        self.schema, self.table = schema, table


class UnknownColumn(WarehouseError):
    """A filter, sort or profile names a column the table does not have."""

    def __init__(self, schema: str, table: str, column: str) -> None:
        super().__init__(
            f"Column '{column}' does not exist in table '{schema}.{table}'",
            hint="Refresh the table; the column may have been renamed or removed",
        )
        self.column = column


class BadFilter(WarehouseError):
    """A filter has an unknown operator or a value that does not fit the column."""


class QueryNotAllowed(WarehouseError):
    """A query given to `query()` is not a single read-only SELECT."""


class ExportTooLarge(WarehouseError):
    """The export format cannot hold that many rows."""


class FilterOp(StrEnum):
    """Filter operators the explorer offers; text matches (contains, starts_with) ignore case."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"
    IN = "in"
    BETWEEN = "between"


@dataclass(frozen=True)
class Filter:
    """`column op value`; `in` takes a list, `between` a [low, high] pair, null tests no value."""

    column: str
    op: FilterOp | str
    value: Any = None

    def __post_init__(self) -> None:
        try:
            op = FilterOp(self.op)
        except ValueError:
            known = ", ".join(o.value for o in FilterOp)
            raise BadFilter(
                f"Unknown filter operator '{self.op}' on column '{self.column}'", hint=f"Use one of: {known}"
            ) from None
        object.__setattr__(self, "op", op)
        _check_filter_value(self.column, op, self.value)


def _check_filter_value(column: str, op: FilterOp, value: Any) -> None:
    if op is FilterOp.IN and (not isinstance(value, list | tuple) or not value):
        raise BadFilter(f"Filter 'in' on column '{column}' needs a non-empty list of values")
    if op is FilterOp.BETWEEN and (not isinstance(value, list | tuple) or len(value) != 2 or None in value):
        raise BadFilter(f"Filter 'between' on column '{column}' needs two values: [low, high]")
    needs_value = op not in (FilterOp.IS_NULL, FilterOp.NOT_NULL, FilterOp.IN, FilterOp.BETWEEN)
    if needs_value and value is None:
        raise BadFilter(
            f"Filter '{op.value}' on column '{column}' needs a value", hint="Use is_null to find empty cells"
        )


@dataclass(frozen=True)
class SortKey:
    """Sort by one column; nulls always come last."""

    column: str
    descending: bool = False


@dataclass(frozen=True)
class TableInfo:
    """A table or view; `rows` is approximate (catalog statistics) and None for views."""

    schema: str
    name: str
    kind: Literal["table", "view"]
    rows: int | None = None


@dataclass(frozen=True)
class ColumnInfo:
    """A column with its warehouse type, a portable `kind`, and the source's name when it was renamed."""

    name: str
    type: str
    nullable: bool = True
    kind: ColumnKind = "other"
    original_name: str | None = None


@dataclass(frozen=True)
class ResultColumn:
    """A column of a result set."""

    name: str
    type: str


@dataclass(frozen=True)
class Preview:
    """One page of rows and the number of rows matching the filters."""

    columns: list[ResultColumn]
    rows: list[list[Any]]
    total: int


@dataclass(frozen=True)
class QueryResult:
    """Rows of a read-only query; `truncated` says more rows existed past the limit."""

    columns: list[ResultColumn]
    rows: list[list[Any]]
    truncated: bool


class ValueCount(NamedTuple):
    """A value and how many rows hold it."""

    value: Any
    count: int  # type: ignore[assignment]  # shadows tuple.count on purpose: the pair reads (value, count)


Scalar = float | int | date | datetime


@dataclass(frozen=True)
class HistogramBin:
    """Rows with `start <= value < end` (the last bin includes `end`)."""

    start: Scalar
    end: Scalar
    count: int


@dataclass(frozen=True)
class ColumnProfile:
    """Summary of one column: counts, range, mean, most frequent values and a histogram."""

    column: str
    type: str
    kind: ColumnKind
    rows: int
    nulls: int
    distinct: int | None
    min: Any = None
    max: Any = None
    mean: Any = None
    top_values: list[ValueCount] = field(default_factory=list)
    histogram: list[HistogramBin] = field(default_factory=list)


@runtime_checkable
class WarehouseClient(Protocol):
    """What the Data explorer needs from a warehouse; DuckDB, Postgres and BigQuery implement it."""

    kind: str

    def list_schemas(self) -> list[str]: ...

    def list_tables(self, schema: str | None = None) -> list[TableInfo]: ...

    def columns(self, schema: str, table: str) -> list[ColumnInfo]: ...

    def preview(
        self,
        schema: str,
        table: str,
        *,
        limit: int = 50,
        offset: int = 0,
        sort: Sequence[SortKey] = (),
        filters: Sequence[Filter] = (),
    ) -> Preview: ...

    def count(self, schema: str, table: str, filters: Sequence[Filter] = ()) -> int: ...

    def distinct_values(
        self, schema: str, table: str, column: str, limit: int = 100, filters: Sequence[Filter] = ()
    ) -> list[ValueCount]: ...

    def profile(self, schema: str, table: str, column: str) -> ColumnProfile: ...

    def query(self, sql: str, limit: int = 1000) -> QueryResult: ...

    def load_arrow(
        self, schema: str, table: str, batches: Iterable[pa.RecordBatch | pa.Table], mode: LoadMode = "replace"
    ) -> int: ...

    def export(
        self,
        schema: str,
        table: str,
        *,
        fmt: ExportFormat,
        dest: Path,
        filters: Sequence[Filter] = (),
        sort: Sequence[SortKey] = (),
        system_columns: bool = True,
    ) -> Path: ...

    def close(self) -> None: ...


_INTEGER = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|INT[1248]|INT64|SMALLSERIAL|SERIAL|BIGSERIAL)$")
_NUMBER = re.compile(r"^(FLOAT\d*|DOUBLE( PRECISION)?|REAL|DECIMAL|NUMERIC|BIGNUMERIC|BIGDECIMAL)(\(.*\))?$")
_TEXT = re.compile(r"^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|CHARACTER( VARYING)?|UUID|NAME|CITEXT)(\(.*\))?$")


def column_kind(sql_type: str) -> ColumnKind:
    """Map a DuckDB, Postgres or BigQuery type name to the kind the explorer reasons about."""
    t = sql_type.strip().upper()
    if _INTEGER.match(t):
        return "integer"
    if _NUMBER.match(t):
        return "number"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP") or t == "DATETIME":
        return "datetime"
    if t in ("BOOLEAN", "BOOL"):
        return "boolean"
    if _TEXT.match(t):
        return "text"
    return "other"


def is_numeric(kind: ColumnKind) -> bool:
    """Integers and other numbers both get a mean and a histogram."""
    return kind in ("integer", "number")


def is_tz_aware(dialect: str, column: ColumnInfo) -> bool:
    """Whether the warehouse returns this column's values as time-zone-aware datetimes."""
    t = column.type.upper()
    return "WITH TIME ZONE" in t or (dialect == "bigquery" and t == "TIMESTAMP")
