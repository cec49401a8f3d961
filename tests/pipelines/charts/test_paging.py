"""A table chart over 10M rows comes one page at a time: LIMIT/OFFSET in the SQL, little memory in Python."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from pipelines.charts.run import run_chart
from pipelines.charts.spec import ChartSpec
from pipelines.duckdb_conn import connect
from pipelines.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import EXTENSION_DIR

ROWS = 10_000_000


def test_a_table_chart_over_10m_rows_is_paged_and_never_loaded_whole(tmp_path: Path) -> None:
    con = connect(tmp_path / "warehouse.duckdb", extension_dir=EXTENSION_DIR)
    con.execute("CREATE SCHEMA raw")
    con.execute(f"CREATE TABLE raw.big AS SELECT i AS id, 'district ' || (i % 40) AS district FROM range({ROWS}) r(i)")
    spec = ChartSpec.model_validate(
        {"chart_type": "table", "input": {"schema": "raw", "table": "big"}, "sort": [{"by": "id"}]}
    )
    tracemalloc.start()
    result = run_chart(DuckDBWarehouse(con), spec, limit=50, offset=5_000_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.sql.endswith("LIMIT 50 OFFSET 5000000")
    assert len(result.rows) == 50 and result.rows[0] == [5_000_000, "district 0"] and result.total == ROWS
    assert peak < 5 * 1024 * 1024, f"{peak / 1e6:.1f} MB of Python memory for one page"
    con.close()
