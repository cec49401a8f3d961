"""A BigQuery warehouse (hosted orgs): datasets are schemas, values travel as query parameters."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

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
from pipelines.warehouse.export import arrow_schema, as_batches, write_batches
from pipelines.warehouse.sql import BigQueryDialect, Params, parse_read_only, statement_text
from pipelines.warehouse.sqlclient import SqlWarehouse

if TYPE_CHECKING:
    from google.cloud import bigquery

# The REST API still names some types the legacy way; the explorer shows standard SQL names.
_STANDARD = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}
EXPORT_PAGE_ROWS = 50_000


class BigQueryWarehouse(SqlWarehouse):
    """Explorer operations on a BigQuery project through google-cloud-bigquery (or the emulator)."""

    kind = "bigquery"

    def __init__(self, client: bigquery.Client, *, location: str | None = None) -> None:
        self._client = client
        self._location = location
        self.dialect = BigQueryDialect(client.project)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], client: bigquery.Client | None = None) -> BigQueryWarehouse:
        """From `project`, `credentials_json` (service-account JSON), `location` and `api_endpoint`."""
        if client is None:
            client = _make_client(config)
        return cls(client, location=config.get("location"))

    def close(self) -> None:
        """Close the HTTP session of the client."""
        self._client.close()

    def _job_config(self, params: Params) -> bigquery.QueryJobConfig:
        from google.cloud import bigquery

        values = [bigquery.ScalarQueryParameter(f"p{i}", "STRING", v) for i, v in enumerate(params.values)]
        return bigquery.QueryJobConfig(query_parameters=values, use_legacy_sql=False)

    def _run(self, sql: str, params: Params, **result_args: Any) -> Any:
        from google.api_core.exceptions import GoogleAPIError

        try:
            job = self._client.query(sql, job_config=self._job_config(params), location=self._location)
            return job.result(**result_args)
        except (GoogleAPIError, OSError) as err:
            raise _translate(err, bound=bool(params.values)) from err

    def _fetch(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self._run(sql, params)]

    def list_schemas(self) -> list[str]:
        """Datasets of the project."""
        return sorted(d.dataset_id for d in self._call(self._client.list_datasets))

    def list_tables(self, schema: str | None = None) -> list[TableInfo]:
        """Tables and views of one dataset or all, with row counts from each dataset's `__TABLES__`."""
        tables: list[TableInfo] = []
        for dataset in [schema] if schema is not None else self.list_schemas():
            counts = self._row_counts(dataset)
            for item in self._call(self._client.list_tables, f"{self._client.project}.{dataset}"):
                kind: Literal["table", "view"] = "view" if item.table_type in ("VIEW", "MATERIALIZED_VIEW") else "table"
                if not item.table_id.startswith("_dalgo"):
                    tables.append(TableInfo(dataset, item.table_id, kind, counts.get(item.table_id)))
        return sorted(tables, key=lambda t: (t.schema, t.name))

    def _row_counts(self, dataset: str) -> dict[str, int]:
        try:
            rows = self._fetch(
                f"SELECT table_id, row_count FROM {self.dialect.table(dataset, '__TABLES__')}", Params(self.dialect)
            )
        except WarehouseError:  # no permission on the meta-table: rows stay unknown
            return {}
        return {str(t): int(n) for t, n in rows if n is not None}

    def _table_columns(self, schema: str, table: str) -> list[ColumnInfo]:
        from google.api_core.exceptions import NotFound

        try:
            info = self._client.get_table(f"{self._client.project}.{schema}.{table}")
        except NotFound:
            raise UnknownTable(schema, table) from None
        except Exception as err:
            raise _translate(err, bound=False) from err
        return [_column(field) for field in info.schema]

    def _call(self, method: Any, *args: Any) -> list[Any]:
        try:
            return list(method(*args))
        except Exception as err:
            raise _translate(err, bound=False) from err

    def query(self, sql: str, limit: int = 1000) -> QueryResult:
        """Run one read-only SELECT; only `limit` + 1 rows are fetched."""
        parse_read_only(sql, "bigquery")
        result = self._run(statement_text(sql), Params(self.dialect), max_results=limit + 1)
        columns = [ResultColumn(f.name, _standard_type(f)) for f in result.schema]
        rows = [list(row.values()) for row in result]
        return QueryResult(columns=columns, rows=rows[:limit], truncated=len(rows) > limit)

    def load_arrow(
        self, schema: str, table: str, batches: Iterable[pa.RecordBatch | pa.Table], mode: LoadMode = "replace"
    ) -> int:
        """Stage the batches as one Parquet file and load it in one job (replace or append are atomic)."""
        from google.cloud import bigquery

        if mode not in ("replace", "append"):
            raise WarehouseError(f"Unknown load mode '{mode}'", hint="Use replace or append")
        with tempfile.TemporaryDirectory(prefix="dalgo-bq-") as tmp:
            path = Path(tmp) / "load.parquet"
            rows = _write_parquet(as_batches(batches), path)
            if rows == 0:
                return 0
            disposition = "WRITE_TRUNCATE" if mode == "replace" else "WRITE_APPEND"
            config = bigquery.LoadJobConfig(source_format="PARQUET", write_disposition=disposition)
            try:
                self._client.create_dataset(f"{self._client.project}.{schema}", exists_ok=True)
                with path.open("rb") as handle:
                    ref = f"{self._client.project}.{schema}.{table}"
                    self._client.load_table_from_file(handle, ref, job_config=config).result()
            except Exception as err:
                raise _translate(err, bound=False) from err
        return rows

    def _write_export(self, sql: str, params: Params, columns: list[ColumnInfo], fmt: ExportFormat, path: Path) -> None:
        result = self._run(sql, params, page_size=EXPORT_PAGE_ROWS)
        batches: Iterator[pa.RecordBatch] = iter(result.to_arrow_iterable(bqstorage_client=None))
        first = next(batches, None)
        if first is None:
            write_batches([], arrow_schema(columns, "bigquery"), fmt, path)
            return
        write_batches(chain([first], batches), first.schema, fmt, path)


def _write_parquet(batches: Iterable[pa.RecordBatch], path: Path) -> int:
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema)
            writer.write_batch(batch)
            rows += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _standard_type(field: Any) -> str:
    base = _STANDARD.get(field.field_type, field.field_type)
    return f"ARRAY<{base}>" if field.mode == "REPEATED" else base


def _column(field: Any) -> ColumnInfo:
    sql_type = _standard_type(field)
    return ColumnInfo(name=field.name, type=sql_type, nullable=field.mode != "REQUIRED", kind=column_kind(sql_type))


def _make_client(config: Mapping[str, Any]) -> bigquery.Client:
    from google.cloud import bigquery

    info = config.get("credentials_json")
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError as err:
            raise ConfigError(
                "The BigQuery service-account key is not valid JSON", hint="Paste the whole key file"
            ) from err
    project = config.get("project") or (info or {}).get("project_id")
    if not project:
        raise ConfigError("A BigQuery warehouse needs a project id", hint="Edit the warehouse settings")
    credentials = None
    if info:
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_info(info)
    options = {"api_endpoint": config["api_endpoint"]} if config.get("api_endpoint") else None
    return bigquery.Client(
        project=project, credentials=credentials, location=config.get("location"), client_options=options
    )


def _translate(err: Exception, *, bound: bool) -> Exception:
    """A google-cloud error as a warehouse error a person can act on."""
    from google.api_core import exceptions as gexc

    message = getattr(err, "message", None) or str(err)
    message = str(message).strip().splitlines()[0] if str(message).strip() else type(err).__name__
    if isinstance(err, gexc.Unauthorized | gexc.Forbidden):
        return AuthError(f"BigQuery refused access: {message}", hint="Check the service account's roles")
    if isinstance(err, gexc.TooManyRequests | gexc.ServerError | OSError):
        return TransientError(f"BigQuery is not reachable right now: {message}")
    if bound and isinstance(err, gexc.BadRequest) and ("convert" in message.lower() or "bad " in message.lower()):
        return BadFilter(f"A filter value does not fit its column: {message}", hint="Check the value's type")
    return WarehouseError(f"BigQuery could not run the query: {message}")
