"""Building blocks of the DuckDB loader (`pipelines.loader` is the public face, `pipelines.ingest` the engine)."""
