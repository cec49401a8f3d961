"""The org's local DuckDB warehouse, through the connection the server process owns for that file."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from pipelines.sqlscope import UnresolvableQuery, real_tables
from pipelines.warehouse.base import (
    BadFilter,
    ColumnInfo,
    ExportFormat,
    LoadMode,
    QueryNotAllowed,
    QueryResult,
    ResultColumn,
    TableInfo,
    UnknownTable,
    WarehouseError,
    column_kind,
)
from pipelines.warehouse.export import as_batches
from pipelines.warehouse.sql import Dialect, Params, limited, parse_read_only
from pipelines.warehouse.sqlclient import SqlWarehouse

_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")
# Table functions that only compute or read the catalog; every other one (read_csv, glob, ...) reaches outside.
_SAFE_TABLE_FUNCTIONS = frozenset(
    {"range", "generate_series", "unnest", "duckdb_tables", "duckdb_views", "duckdb_columns", "duckdb_schemas"}
)
# Scalar functions that show the server's settings (folders, paths) rather than data.
_HIDDEN_FUNCTIONS = frozenset({"current_setting", "getvariable", "getenv", "pragma_version", "current_setting_names"})
_COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet", "xlsx": "FORMAT xlsx, HEADER true"}


class DuckDBWarehouse(SqlWarehouse):
    """Explorer operations on a DuckDB file; one cursor per call, so threads can share the client."""

    kind = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection, *, owns_connection: bool = False) -> None:
        self._con = connection
        self._owns = owns_connection
        self.dialect = Dialect()

    def close(self) -> None:
        """Close the connection only when this client opened it."""
        if self._owns:
            self._con.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def _fetch(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            try:
                return cur.execute(sql, params.values).fetchall()
            except duckdb.Error as err:
                raise _translate(err, bound=bool(params.values)) from err

    def list_schemas(self) -> list[str]:
        """Schemas of the warehouse file, without DuckDB's system schemas."""
        rows = self._fetch(
            "SELECT DISTINCT schema_name FROM duckdb_schemas() WHERE database_name = current_database() ORDER BY 1",
            Params(self.dialect),
        )
        return [r[0] for r in rows if r[0] not in _SYSTEM_SCHEMAS]

    def list_tables(self, schema: str | None = None) -> list[TableInfo]:
        """Tables (with DuckDB's row estimate) and views, hiding Dalgo's own `_dalgo*` bookkeeping tables."""
        params = Params(self.dialect)
        tables = (
            "SELECT schema_name, table_name, 'table', estimated_size FROM duckdb_tables()"
            " WHERE database_name = current_database() AND NOT temporary"
        )
        views = (
            "SELECT schema_name, view_name, 'view', NULL FROM duckdb_views()"
            " WHERE database_name = current_database() AND NOT internal AND NOT temporary"
        )
        sql = f"SELECT * FROM ({tables} UNION ALL {views}) AS relations"
        if schema is not None:
            sql += f" WHERE schema_name = {params.bind(schema, 'VARCHAR')}"
        rows = self._fetch(sql + " ORDER BY 1, 2", params)
        return [
            TableInfo(schema=s, name=n, kind=k, rows=int(r) if r is not None else None)
            for s, n, k, r in rows
            if s not in _SYSTEM_SCHEMAS and not n.startswith("_dalgo")
        ]

    def _table_columns(self, schema: str, table: str) -> list[ColumnInfo]:
        params = Params(self.dialect)
        sql = (
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = current_database()"
            f" AND schema_name = {params.bind(schema, 'VARCHAR')} AND table_name = {params.bind(table, 'VARCHAR')}"
            " ORDER BY column_index"
        )
        rows = self._fetch(sql, params)
        if not rows:
            raise UnknownTable(schema, table)
        return [ColumnInfo(name=n, type=t, nullable=bool(nl), kind=column_kind(t)) for n, t, nl in rows]

    def query(self, sql: str, limit: int = 1000) -> QueryResult:
        """Run one read-only SELECT inside a read-only transaction that is rolled back."""
        self._check_sources(parse_read_only(sql, "duckdb"))
        with self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION READ ONLY")
            try:
                cur.execute(limited(sql, limit + 1))
                columns = [ResultColumn(d[0], str(d[1])) for d in cur.description or []]
                rows = [list(r) for r in cur.fetchall()]
            except duckdb.Error as err:
                raise _translate(err, bound=False) from err
            finally:
                cur.execute("ROLLBACK")
        return QueryResult(columns=columns, rows=rows[:limit], truncated=len(rows) > limit)

    def _check_sources(self, tree: exp.Query) -> None:
        """Refuse file paths, file-reading functions and settings: the explorer reads the warehouse, not the disk.

        Names are resolved by scope (a CTE counts only where it is visible); every other name must be a
        table or view of this warehouse, or DuckDB would read it as a file path.
        """
        for func in tree.find_all(exp.Func):
            name = func.name if isinstance(func, exp.Anonymous) else func.sql_name()
            if name.lower() in _HIDDEN_FUNCTIONS:
                raise QueryNotAllowed(f"The function {name} is not available in the explorer")
        known = {(s.lower(), n.lower()) for s, n in self._fetch(_RELATIONS, Params(self.dialect))}
        names = {n for _, n in known}
        try:
            tables = real_tables(tree)
        except UnresolvableQuery as err:
            raise QueryNotAllowed(f"The query's table names could not be resolved: {err}") from err
        for table in tables:
            if isinstance(table.this, exp.Identifier):
                schema, name = table.db.lower(), table.name.lower()
                if (schema, name) not in known if schema else name not in names:
                    raise UnknownTable(table.db, table.name)
                continue
            fname = table.this.sql_name().lower() if isinstance(table.this, exp.Func) else ""
            if isinstance(table.this, exp.GenerateSeries | exp.Unnest) or fname in _SAFE_TABLE_FUNCTIONS:
                continue
            raise QueryNotAllowed(
                f"The query reads outside the warehouse ({table.this.sql(dialect='duckdb')[:80]})",
                hint="Query the warehouse's tables; add files as a source to bring them in",
            )

    def load_arrow(
        self, schema: str, table: str, batches: Iterable[pa.RecordBatch | pa.Table], mode: LoadMode = "replace"
    ) -> int:
        """Load batches in one transaction: a failure leaves the previous table as it was."""
        if mode not in ("replace", "append"):
            raise WarehouseError(f"Unknown load mode '{mode}'", hint="Use replace or append")
        target = self.dialect.table(schema, table)
        view = f"_dalgo_arrow_{uuid.uuid4().hex}"
        rows = 0
        with self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {self.dialect.quote(schema)}")
                for batch in as_batches(batches):
                    cur.register(view, pa.Table.from_batches([batch]))
                    if rows == 0 and mode == "replace":
                        cur.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {view}")
                    else:
                        if rows == 0:
                            cur.execute(f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM {view} LIMIT 0")
                        cur.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {view}")
                    cur.unregister(view)
                    rows += batch.num_rows or 0
                cur.execute("COMMIT")
            except duckdb.Error as err:
                cur.execute("ROLLBACK")
                raise WarehouseError(f"Could not load into '{schema}.{table}': {err}") from err
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return rows

    def _write_export(self, sql: str, params: Params, columns: list[ColumnInfo], fmt: ExportFormat, path: Path) -> None:
        target = str(path).replace("'", "''")
        with self._cursor() as cur:
            try:
                if fmt == "xlsx":
                    cur.execute("LOAD excel")
                cur.execute(f"COPY ({sql}) TO '{target}' ({_COPY_OPTIONS[fmt]})", params.values)
            except duckdb.Error as err:
                raise _translate(err, bound=bool(params.values)) from err


_RELATIONS = (
    "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
    " UNION ALL SELECT schema_name, view_name FROM duckdb_views()"
    " WHERE database_name IN (current_database(), 'system')"
)


def _translate(err: duckdb.Error, *, bound: bool) -> WarehouseError:
    """DuckDB's error as a warehouse error; a bad value in a filter names itself as such."""
    message = str(err).splitlines()[0] if str(err) else type(err).__name__
    if bound and isinstance(err, duckdb.ConversionException):
        return BadFilter(f"A filter value does not fit its column: {message}", hint="Check the value's type")
    if isinstance(err, duckdb.CatalogException):
        return WarehouseError(f"The warehouse does not know a name in the query: {message}")
    return WarehouseError(f"DuckDB could not run the query: {message}")
