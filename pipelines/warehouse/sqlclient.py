"""The explorer operations written once over a SQL dialect; each warehouse supplies fetch, catalog and export."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipelines.warehouse.base import (
    PREVIEW_MAX_LIMIT,
    XLSX_MAX_DATA_ROWS,
    ColumnInfo,
    ColumnProfile,
    ExportFormat,
    ExportTooLarge,
    Filter,
    Preview,
    ResultColumn,
    SortKey,
    UnknownTable,
    ValueCount,
    WarehouseError,
)
from pipelines.warehouse.sql import Dialect, Params, by_name, order_clause, page_clause, select_list, where_clause

EXPORT_FORMATS = ("csv", "xlsx", "parquet")
METADATA_TABLE = "_dalgo_columns"
SYSTEM_PREFIX = "_dalgo_"  # columns the loader adds to every row  # per schema: (table_name, column_name, original_name), written by the loader


class SqlWarehouse(ABC):
    """Preview, count, distinct values, profile and export on top of `_fetch` and `_table_columns`."""

    kind: str
    dialect: Dialect

    @abstractmethod
    def _fetch(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        """Run one read statement with bound values; raise WarehouseError subclasses on failure."""

    @abstractmethod
    def _table_columns(self, schema: str, table: str) -> list[ColumnInfo]:
        """The table's columns in order (no original names); UnknownTable when it does not exist."""

    @abstractmethod
    def _write_export(self, sql: str, params: Params, columns: list[ColumnInfo], fmt: ExportFormat, path: Path) -> None:
        """Write the rows of a SELECT to `path` in `fmt`."""

    @abstractmethod
    def close(self) -> None:
        """Release connections the client owns."""

    def _params(self) -> Params:
        return Params(self.dialect)

    def columns(self, schema: str, table: str) -> list[ColumnInfo]:
        """Columns with their type, nullability, kind and, when the loader renamed them, the source's name."""
        cols = self._table_columns(schema, table)
        originals = self._original_names(schema, table)
        return [
            replace(c, original_name=originals[c.name]) if originals.get(c.name, c.name) != c.name else c for c in cols
        ]

    def _original_names(self, schema: str, table: str) -> dict[str, str]:
        try:
            self._table_columns(schema, METADATA_TABLE)
        except UnknownTable:
            return {}
        params = self._params()
        sql = (
            f"SELECT column_name, original_name FROM {self.dialect.table(schema, METADATA_TABLE)}"
            f" WHERE table_name = {params.bind(table, self.dialect.text_type)}"
        )
        try:
            rows = self._fetch(sql, params)
        except WarehouseError:  # an older or foreign layout: the explorer still works without original names
            return {}
        return {str(name): str(original) for name, original in rows if name is not None and original is not None}

    def preview(
        self,
        schema: str,
        table: str,
        *,
        limit: int = 50,
        offset: int = 0,
        sort: Sequence[SortKey] = (),
        filters: Sequence[Filter] = (),
    ) -> Preview:
        """One page of the table, filtered and sorted, with the number of matching rows."""
        limit, offset = _check_page(limit, offset)
        cols = self._table_columns(schema, table)
        params = self._params()
        where = where_clause(self.dialect, params, cols, schema, table, filters)
        order = order_clause(self.dialect, cols, schema, table, sort)
        sql = f"SELECT {select_list(self.dialect, cols)} FROM {self.dialect.table(schema, table)}{where}{order}"
        rows = [list(r) for r in self._fetch(sql + page_clause(limit, offset), params)]
        # A short first page already tells the total: one scan fewer on small tables.
        total = len(rows) if offset == 0 and len(rows) < limit else self._count(cols, schema, table, filters)
        return Preview(columns=[ResultColumn(c.name, c.type) for c in cols], rows=rows, total=total)

    def count(self, schema: str, table: str, filters: Sequence[Filter] = ()) -> int:
        """Rows matching all filters."""
        return self._count(self._table_columns(schema, table), schema, table, filters)

    def _count(self, cols: list[ColumnInfo], schema: str, table: str, filters: Sequence[Filter]) -> int:
        params = self._params()
        where = where_clause(self.dialect, params, cols, schema, table, filters)
        rows = self._fetch(f"SELECT COUNT(*) FROM {self.dialect.table(schema, table)}{where}", params)
        return int(rows[0][0])

    def distinct_values(
        self, schema: str, table: str, column: str, limit: int = 100, filters: Sequence[Filter] = ()
    ) -> list[ValueCount]:
        """The column's values (empty cells as None) with their counts, most frequent first."""
        limit, _ = _check_page(limit, 0)
        cols = self._table_columns(schema, table)
        col = by_name(cols, schema, table, column)
        params = self._params()
        where = where_clause(self.dialect, params, cols, schema, table, filters)
        value = self.dialect.groupable(self.dialect.quote(col.name), col.kind)
        sql = (
            f"SELECT {value}, COUNT(*) FROM {self.dialect.table(schema, table)}{where}"
            f" GROUP BY 1 ORDER BY 2 DESC, 1 ASC NULLS LAST LIMIT {limit}"
        )
        return [ValueCount(v, int(n)) for v, n in self._fetch(sql, params)]

    def profile(self, schema: str, table: str, column: str) -> ColumnProfile:
        """Counts, range, mean, top values and histogram of one column."""
        from pipelines.warehouse.profile import profile_column

        cols = self._table_columns(schema, table)
        return profile_column(self, schema, table, by_name(cols, schema, table, column))

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
    ) -> Path:
        """Write the (filtered, sorted) table to `dest`; a failed export leaves no partial file.

        `system_columns=False` leaves out Dalgo's own load columns (`_dalgo_loaded_at`, `_dalgo_batch_id`, …).
        """
        if fmt not in EXPORT_FORMATS:
            raise WarehouseError(f"Unknown export format '{fmt}'", hint="Use csv, xlsx or parquet")
        cols = self._table_columns(schema, table)
        params = self._params()
        where = where_clause(self.dialect, params, cols, schema, table, filters)
        order = order_clause(self.dialect, cols, schema, table, sort)
        if fmt == "xlsx":
            _check_xlsx_size(self._count(cols, schema, table, filters), schema, table)
        shown = cols if system_columns else [c for c in cols if not c.name.startswith(SYSTEM_PREFIX)] or cols
        sql = f"SELECT {select_list(self.dialect, shown)} FROM {self.dialect.table(schema, table)}{where}{order}"
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(f".{dest.stem}.partial{dest.suffix}")
        try:
            self._write_export(sql, params, shown, fmt, partial)
            os.replace(partial, dest)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return dest


def _check_page(limit: int, offset: int) -> tuple[int, int]:
    if not isinstance(limit, int) or not 1 <= limit <= PREVIEW_MAX_LIMIT:
        raise WarehouseError(f"Page size {limit!r} is out of range", hint=f"Ask for 1 to {PREVIEW_MAX_LIMIT} rows")
    if not isinstance(offset, int) or offset < 0:
        raise WarehouseError(f"Offset {offset!r} is out of range", hint="Use 0 or a positive row offset")
    return limit, offset


def _check_xlsx_size(rows: int, schema: str, table: str) -> None:
    if rows > XLSX_MAX_DATA_ROWS:
        raise ExportTooLarge(
            f"'{schema}.{table}' has {rows:,} matching rows; an Excel sheet holds at most {XLSX_MAX_DATA_ROWS:,}",
            hint="Add a filter to export fewer rows, or download CSV or Parquet instead",
        )
