"""Explorer benchmark: first page (50 rows) of a sorted, filtered 10M-row DuckDB table through the warehouse client.

Prints p50/p95 over --runs runs for the client (page + total count, as the grid asks) and for the same two
statements run directly on DuckDB in the same process, and the ratio. Goal: client p50 < 300 ms.

    uv run python bench/explorer.py [--rows 10000000] [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.duckdb_conn import connect  # noqa: E402
from pipelines.warehouse import Filter, SortKey  # noqa: E402
from pipelines.warehouse.duckdb import DuckDBWarehouse  # noqa: E402

GOAL_MS = 300.0
SCENARIOS: dict[str, tuple[list[Filter], list[SortKey]]] = {
    "eq + between, sort score desc": (
        [Filter("district", "eq", "District 07"), Filter("age", "between", [20, 40])],
        [SortKey("score", descending=True)],
    ),
    "contains, sort date + id": (
        [Filter("village", "contains", "ABAD 12")],
        [SortKey("visit_date"), SortKey("id")],
    ),
    "no filter, sort score asc": ([], [SortKey("score")]),
}


def build(con: object, rows: int) -> float:
    """Create bench.visits with `rows` rows; returns seconds taken."""
    started = time.perf_counter()
    con.execute("CREATE SCHEMA bench")  # type: ignore[attr-defined]
    con.execute(  # type: ignore[attr-defined]
        f"""CREATE TABLE bench.visits AS SELECT
            range AS id,
            'District ' || lpad(CAST(range % 40 AS VARCHAR), 2, '0') AS district,
            'Nagarabad ' || CAST(hash(range) % 5000 AS VARCHAR) AS village,
            CAST(hash(range * 7) % 90 AS INTEGER) AS age,
            round((hash(range * 13) % 100000) / 1000.0, 3) AS score,
            DATE '2020-01-01' + CAST(hash(range * 17) % 1500 AS INTEGER) AS visit_date,
            (['ok', 'pending', 'rejected'])[1 + CAST(range % 3 AS INTEGER)] AS status,
            hash(range * 19) % 2 = 0 AS consented
        FROM range({rows})"""
    )
    return time.perf_counter() - started


def timed_pair(first: Callable[[], object], second: Callable[[], object], runs: int) -> list[tuple[float, float]]:
    """p50/p95 in ms of each callable; runs alternate so drift (caches, other load) hits both alike."""
    for _ in range(2):
        first(), second()
    samples: list[list[float]] = [[], []]
    for run in range(runs):
        order = [(0, first), (1, second)] if run % 2 == 0 else [(1, second), (0, first)]
        for index, fn in order:
            started = time.perf_counter()
            fn()
            samples[index].append((time.perf_counter() - started) * 1000)
    return [_percentiles(sorted(s)) for s in samples]


def _percentiles(ordered: list[float]) -> tuple[float, float]:
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def direct_statements(client: DuckDBWarehouse, filters: list[Filter], sort: list[SortKey]) -> Callable[[], object]:
    """The client's two statements, built once and run straight on DuckDB: the baseline."""
    from pipelines.warehouse.sql import Params, order_clause, select_list, where_clause

    cols = client._table_columns("bench", "visits")
    params = Params(client.dialect)
    where = where_clause(client.dialect, params, cols, "bench", "visits", filters)
    order = order_clause(client.dialect, cols, "bench", "visits", sort)
    table = client.dialect.table("bench", "visits")
    page_sql = f"SELECT {select_list(client.dialect, cols)} FROM {table}{where}{order} LIMIT 50"
    count_sql = f"SELECT COUNT(*) FROM {table}{where}"
    con = client._con

    def run() -> object:
        con.execute(page_sql, params.values).fetchall()
        return con.execute(count_sql, params.values).fetchall()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dalgo-bench-explorer-") as tmp:
        con = connect(Path(tmp) / "warehouse.duckdb", extension_dir=Path(tmp) / "ext", memory_limit="2GB")
        print(f"building bench.visits with {args.rows:,} rows ...", flush=True)
        print(f"built in {build(con, args.rows):.1f} s")
        client = DuckDBWarehouse(con)
        print(f"\n{'scenario':34} {'client p50':>11} {'p95':>8} {'direct p50':>11} {'p95':>8} {'ratio':>6}  goal")
        for name, (filters, sort) in SCENARIOS.items():

            def through_client(filters: list[Filter] = filters, sort: list[SortKey] = sort) -> object:
                return client.preview("bench", "visits", limit=50, sort=sort, filters=filters)

            (c50, c95), (d50, d95) = timed_pair(through_client, direct_statements(client, filters, sort), args.runs)
            verdict = "ok" if c50 < GOAL_MS else "MISSED"
            print(
                f"{name:34} {c50:9.1f}ms {c95:6.1f}ms {d50:9.1f}ms {d95:6.1f}ms {c50 / d50:5.2f}x  {verdict} (<{GOAL_MS:.0f} ms)"
            )
        con.close()


if __name__ == "__main__":
    main()
