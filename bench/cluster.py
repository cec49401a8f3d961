"""Cluster benchmark: fingerprint (and n-gram) key-collision clustering of a 10M-row text column with
~50k distinct values, on DuckDB through `pipelines.recipes.cluster_column`. Goal: fingerprint < 5 s.

Baseline in the same run: the plain `GROUP BY column` that counts the distinct values (the part of the
work no clustering method can avoid).

    uv run python bench/cluster.py [--rows 10000000] [--distinct 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.duckdb_conn import connect  # noqa: E402
from pipelines.recipes import cluster_column  # noqa: E402

GOAL_S = 5.0


def build(con: object, rows: int, distinct: int) -> float:
    """bench.places(city): `distinct // 5` names, each written 5 ways (case, spaces, accents, punctuation)."""
    started = time.perf_counter()
    names = distinct // 5
    con.execute("CREATE SCHEMA bench")  # type: ignore[attr-defined]
    con.execute(  # type: ignore[attr-defined]
        f"""CREATE TABLE bench.places AS
        WITH n AS (SELECT range AS i, hash(range) % {names} AS k FROM range({rows}))
        SELECT CASE i % 5
            WHEN 0 THEN 'Gram ' || k || ' Nagar'
            WHEN 1 THEN 'gram ' || k || ' nagar '
            WHEN 2 THEN 'GRAM ' || k || ' NAGAR'
            WHEN 3 THEN 'Nagar, Gram ' || k
            ELSE 'Grām ' || k || ' Nagar.' END AS city
        FROM n"""
    )
    return time.perf_counter() - started


def timed(fn: object, runs: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--distinct", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "cluster.duckdb", extension_dir=Path(tmp) / "ext", memory_limit="4GB")
        print(f"build {args.rows:,} rows: {build(con, args.rows, args.distinct):.1f} s")
        distinct = con.execute("SELECT COUNT(DISTINCT city) FROM bench.places").fetchone()[0]  # type: ignore[index]
        print(f"distinct values: {distinct:,}")
        base, _ = timed(
            lambda: con.execute("SELECT city, COUNT(*) FROM bench.places GROUP BY city").fetchall(), args.runs
        )
        finger, clusters = timed(lambda: cluster_column(con, "bench.places", "city", limit=100_000), args.runs)
        ngram, ngram_clusters = timed(
            lambda: cluster_column(con, "bench.places", "city", method="ngram", limit=100_000), args.runs
        )
        print("\n| measurement | p50 | clusters |\n|---|---|---|")
        print(f"| GROUP BY city (baseline) | {base:.2f} s | — |")
        print(f"| fingerprint clustering | {finger:.2f} s | {len(clusters):,} |")  # type: ignore[arg-type]
        print(f"| n-gram (2) clustering | {ngram:.2f} s | {len(ngram_clusters):,} |")  # type: ignore[arg-type]
        print(
            f"fingerprint / baseline: {finger / base:.2f}x; goal fingerprint < {GOAL_S:.0f} s: {'met' if finger < GOAL_S else 'NOT met'}"
        )
        sizes = sorted({len(c.values) for c in clusters})  # type: ignore[attr-defined]
        print(f"cluster sizes seen: {sizes}")
        con.close()


if __name__ == "__main__":
    main()
