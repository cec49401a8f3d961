"""The warehouse fixtures of tests/pipelines/warehouse: chart queries run on DuckDB, Postgres and the BigQuery emulator."""

from tests.pipelines.warehouse.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    bigquery_client,
    bigquery_endpoint,
    bigquery_warehouse,
    duckdb_warehouse,
    people,
    postgres_warehouse,
    warehouse,
)
