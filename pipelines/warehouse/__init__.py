"""Warehouse clients for the Data explorer: DuckDB (the org's local file), Postgres and BigQuery."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.errors import ConfigError
from pipelines.warehouse.base import (
    BadFilter,
    ColumnInfo,
    ColumnProfile,
    ExportTooLarge,
    Filter,
    FilterOp,
    HistogramBin,
    Preview,
    QueryNotAllowed,
    QueryResult,
    ResultColumn,
    SortKey,
    TableInfo,
    UnknownColumn,
    UnknownTable,
    ValueCount,
    WarehouseClient,
    WarehouseError,
)

WAREHOUSE_KINDS = ("duckdb", "postgres", "bigquery")


def open_warehouse(kind: str, config: Mapping[str, Any], **deps: Any) -> WarehouseClient:
    """A client for `kind` from its config.

    duckdb: deps `connection` (the server's connection to the org file), else config `path` + `extension_dir`.
    postgres: config `dsn`, or `host`/`port`/`dbname`/`user`/`password`/`sslmode`.
    bigquery: deps `client` (a google.cloud.bigquery.Client), else config `project` + `credentials_json`
    (service-account JSON, text or dict) and optional `location`, `api_endpoint`.
    """
    if kind == "duckdb":
        return _open_duckdb(config, deps)
    if kind == "postgres":
        from pipelines.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse.from_config(config)
    if kind == "bigquery":
        from pipelines.warehouse.bigquery import BigQueryWarehouse

        return BigQueryWarehouse.from_config(config, client=deps.get("client"))
    raise ConfigError(f"Unknown warehouse kind '{kind}'", hint=f"Use one of: {', '.join(WAREHOUSE_KINDS)}")


def _open_duckdb(config: Mapping[str, Any], deps: Mapping[str, Any]) -> WarehouseClient:
    from pipelines.warehouse.duckdb import DuckDBWarehouse

    if deps.get("connection") is not None:
        return DuckDBWarehouse(deps["connection"])
    if not config.get("path") or not config.get("extension_dir"):
        raise ConfigError("A DuckDB warehouse needs a connection, or a 'path' and an 'extension_dir'")
    from pipelines.duckdb_conn import connect

    con = connect(config["path"], extension_dir=Path(config["extension_dir"]))
    return DuckDBWarehouse(con, owns_connection=True)


__all__ = [
    "WAREHOUSE_KINDS",
    "BadFilter",
    "ColumnInfo",
    "ColumnProfile",
    "ExportTooLarge",
    "Filter",
    "FilterOp",
    "HistogramBin",
    "Preview",
    "QueryNotAllowed",
    "QueryResult",
    "ResultColumn",
    "SortKey",
    "TableInfo",
    "UnknownColumn",
    "UnknownTable",
    "ValueCount",
    "WarehouseClient",
    "WarehouseError",
    "open_warehouse",
]
