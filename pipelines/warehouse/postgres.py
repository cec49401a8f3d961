"""A Postgres warehouse (hosted orgs) through psycopg2, with a small thread-safe connection pool."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import make_dsn
from psycopg2.pool import ThreadedConnectionPool

from pipelines.errors import AuthError, ConfigError, TransientError
from pipelines.warehouse.base import (
    BadFilter,
    ColumnInfo,
    ExportFormat,
    LoadMode,
    QueryResult,
    ResultColumn,
    TableInfo,
    UnknownTable,
    WarehouseError,
    column_kind,
)
from pipelines.warehouse.export import arrow_schema, as_batches, as_text, rows_to_batch, write_batches
from pipelines.warehouse.sql import Params, PostgresDialect, limited, parse_read_only
from pipelines.warehouse.sqlclient import SqlWarehouse

_USER_SCHEMAS = "n.nspname <> 'information_schema' AND left(n.nspname, 3) <> 'pg_'"
FETCH_ROWS = 10_000


class PostgresWarehouse(SqlWarehouse):
    """Explorer operations on a Postgres database; reads run in read-only transactions."""

    kind = "postgres"

    def __init__(self, dsn: str, *, max_connections: int = 4, query_timeout_s: float = 120.0) -> None:
        self._dsn = dsn
        self._max = max_connections
        self._timeout_ms = int(query_timeout_s * 1000)
        self._pool: ThreadedConnectionPool | None = None
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)  # the pool errors instead of waiting
        self.dialect = PostgresDialect()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PostgresWarehouse:
        """From `dsn`, or from `host`, `port`, `dbname` (or `database`), `user`, `password`, `sslmode`."""
        if config.get("dsn"):
            return cls(str(config["dsn"]))
        dbname = config.get("dbname") or config.get("database")
        if not config.get("host") or not dbname:
            raise ConfigError(
                "A Postgres warehouse needs a host and a database name", hint="Edit the warehouse settings"
            )
        keys = {"host": config["host"], "dbname": dbname, "connect_timeout": 10}
        keys |= {k: config[k] for k in ("port", "user", "password", "sslmode") if config.get(k)}
        return cls(make_dsn(**keys))

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None

    @contextmanager
    def _connection(self, *, readonly: bool) -> Iterator[PgConnection]:
        with self._slots:
            pool = self._get_pool()
            try:
                conn = pool.getconn()
            except psycopg2.OperationalError as err:
                raise _connect_error(err) from err
            try:
                conn.readonly = readonly
                yield conn
            finally:
                if not conn.closed:
                    conn.rollback()  # reads never commit; writers committed already
                pool.putconn(conn, close=bool(conn.closed))

    def _get_pool(self) -> ThreadedConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadedConnectionPool(0, self._max, dsn=self._dsn)
            return self._pool

    def _fetch(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        with self._connection(readonly=True) as conn, conn.cursor() as cur:
            try:
                cur.execute(PostgresDialect.to_psycopg(sql), params.values)
                return cur.fetchall()
            except psycopg2.Error as err:
                raise _translate(err, bound=bool(params.values)) from err

    def list_schemas(self) -> list[str]:
        """Schemas the user may read, without Postgres's own."""
        sql = f"SELECT n.nspname FROM pg_namespace n WHERE {_USER_SCHEMAS} AND has_schema_privilege(n.oid, 'USAGE')"
        return [r[0] for r in self._fetch(sql + " ORDER BY 1", Params(self.dialect))]

    def list_tables(self, schema: str | None = None) -> list[TableInfo]:
        """Tables with the planner's row estimate (exact after ANALYZE), views and materialised views."""
        params = Params(self.dialect)
        sql = (
            "SELECT n.nspname, c.relname, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,"
            " CASE WHEN c.relkind IN ('r', 'p') AND c.reltuples >= 0 THEN c.reltuples::bigint END"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {_USER_SCHEMAS}"
        )
        if schema is not None:
            sql += f" AND n.nspname = {params.bind(schema, 'text')}"
        rows = self._fetch(sql + " ORDER BY 1, 2", params)
        return [
            TableInfo(s, n, k, int(r) if r is not None else None) for s, n, k, r in rows if not n.startswith("_dalgo")
        ]

    def _table_columns(self, schema: str, table: str) -> list[ColumnInfo]:
        params = Params(self.dialect)
        sql = (
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE n.nspname = {params.bind(schema, 'text')} AND c.relname = {params.bind(table, 'text')}"
            " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        )
        rows = self._fetch(sql, params)
        if not rows:
            raise UnknownTable(schema, table)
        return [ColumnInfo(name=n, type=t, nullable=bool(nl), kind=column_kind(t)) for n, t, nl in rows]

    def query(self, sql: str, limit: int = 1000) -> QueryResult:
        """Run one read-only SELECT in a READ ONLY transaction with a statement timeout."""
        parse_read_only(sql, "postgres")
        with self._connection(readonly=True) as conn, conn.cursor() as cur:
            try:
                cur.execute(f"SET LOCAL statement_timeout = {self._timeout_ms}")
                cur.execute(limited(sql, limit + 1))  # no parameters: `%` in the user's SQL stays as written
                rows = [list(r) for r in cur.fetchall()]
                described = [(d.name, d.type_code) for d in cur.description or []]
                cur.execute(
                    "SELECT oid, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)", [[t for _, t in described]]
                )
                types = dict(cur.fetchall())
            except psycopg2.Error as err:
                raise _translate(err, bound=False) from err
            columns = [ResultColumn(name, types.get(oid, "unknown")) for name, oid in described]
        return QueryResult(columns=columns, rows=rows[:limit], truncated=len(rows) > limit)

    def load_arrow(
        self, schema: str, table: str, batches: Iterable[pa.RecordBatch | pa.Table], mode: LoadMode = "replace"
    ) -> int:
        """COPY batches in one transaction: a failure leaves the previous table as it was."""
        if mode not in ("replace", "append"):
            raise WarehouseError(f"Unknown load mode '{mode}'", hint="Use replace or append")
        q = self.dialect.quote
        target = self.dialect.table(schema, table)
        rows = 0
        with self._connection(readonly=False) as conn, conn.cursor() as cur:
            try:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {q(schema)}")
                for batch in as_batches(batches):
                    ready = _copy_ready(batch)
                    if rows == 0:
                        if mode == "replace":
                            cur.execute(f"DROP TABLE IF EXISTS {target}")
                        columns = ", ".join(f"{q(f.name)} {_pg_type(f.type)}" for f in batch.schema)
                        cur.execute(f"CREATE TABLE IF NOT EXISTS {target} ({columns})")
                    _copy(cur, target, ready, [q(n) for n in ready.schema.names])
                    rows += batch.num_rows
                if rows:
                    cur.execute(f"ANALYZE {target}")  # fresh row estimate for the table list
                conn.commit()
            except psycopg2.Error as err:
                raise WarehouseError(f"Could not load into '{schema}.{table}': {_first_line(err)}") from err
        return rows

    def _write_export(self, sql: str, params: Params, columns: list[ColumnInfo], fmt: ExportFormat, path: Path) -> None:
        schema = arrow_schema(columns, "postgres")
        # A named (server-side) cursor streams: memory stays flat however large the table.
        name = f"dalgo_export_{uuid.uuid4().hex}"
        with self._connection(readonly=True) as conn, conn.cursor(name=name) as cur:
            try:
                cur.execute(PostgresDialect.to_psycopg(sql), params.values)
                write_batches(_fetch_batches(cur, schema), schema, fmt, path)
            except psycopg2.Error as err:
                raise _translate(err, bound=bool(params.values)) from err


def _fetch_batches(cur: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    while rows := cur.fetchmany(FETCH_ROWS):
        yield rows_to_batch(rows, schema)


def _copy(cur: Any, target: str, batch: pa.RecordBatch, columns: list[str]) -> None:
    buffer = io.BytesIO()
    pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
    buffer.seek(0)
    # Arrow quotes every string and leaves nulls bare: exactly COPY's CSV rule for '' vs NULL.
    cur.copy_expert(f"COPY {target} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)


def _copy_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Columns COPY cannot take as Arrow writes them: nested → JSON, binary → bytea hex, dictionary → values."""
    arrays, fields = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_dictionary(field.type):
            column = column.cast(field.type.value_type)
        if pa.types.is_nested(column.type) or pa.types.is_null(column.type):
            column = pa.array([as_text(v) for v in column.to_pylist()], type=pa.string())
        elif pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            column = pa.array([None if v is None else "\\x" + v.hex() for v in column.to_pylist()], type=pa.string())
        arrays.append(column)
        fields.append(pa.field(field.name, column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def _pg_type(t: pa.DataType) -> str:
    """The Postgres column type for an Arrow type."""
    if pa.types.is_dictionary(t):
        return _pg_type(t.value_type)
    simple = {pa.int8(): "smallint", pa.int16(): "smallint", pa.int32(): "integer", pa.int64(): "bigint"}
    simple |= {pa.uint8(): "smallint", pa.uint16(): "integer", pa.uint32(): "bigint", pa.uint64(): "numeric"}
    simple |= {pa.float16(): "real", pa.float32(): "real", pa.float64(): "double precision", pa.bool_(): "boolean"}
    if t in simple:
        return simple[t]
    if pa.types.is_decimal(t):
        return f"numeric({t.precision}, {t.scale})"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp with time zone" if t.tz else "timestamp"
    if pa.types.is_time(t):
        return "time"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "bytea"
    if pa.types.is_nested(t):
        return "jsonb"
    return "text"


def _first_line(err: psycopg2.Error) -> str:
    return (getattr(err, "pgerror", None) or str(err)).strip().splitlines()[0]


def _translate(err: psycopg2.Error, *, bound: bool) -> Exception:
    """A psycopg2 error as a warehouse error a person can act on."""
    if isinstance(err, psycopg2.OperationalError) and not isinstance(err, psycopg2.errors.QueryCanceled):
        return _connect_error(err)
    if isinstance(err, psycopg2.errors.QueryCanceled):
        return WarehouseError("The query took too long and was stopped", hint="Add filters or a LIMIT")
    if bound and isinstance(err, psycopg2.DataError):
        return BadFilter(f"A filter value does not fit its column: {_first_line(err)}", hint="Check the value's type")
    return WarehouseError(f"Postgres could not run the query: {_first_line(err)}")


def _connect_error(err: psycopg2.Error) -> Exception:
    text = str(err).strip().splitlines()[0] if str(err).strip() else "connection failed"
    if "authentication failed" in text or "no pg_hba.conf entry" in text:
        return AuthError(f"Postgres rejected the credentials: {text}", hint="Edit the warehouse user and password")
    return TransientError(f"Could not reach the Postgres warehouse: {text}", hint="Check the host, port and network")
