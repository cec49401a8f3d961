"""File format readers behind `pipelines.connectors.files` (CSV/TSV, Excel, JSON/NDJSON, Parquet)."""
