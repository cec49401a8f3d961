"""Benchmark: CSV ingest through the app's engine (`run_sync` + CsvConnector) vs DuckDB's own
`CREATE TABLE t AS SELECT * FROM read_csv(...)` on the same generated file, in the same run.

    uv run python bench/ingest_csv.py              # 10M rows x 10 columns (~1 GB of CSV)
    uv run python bench/ingest_csv.py --rows 1000000 --repeat 1

Prints both timings and the ratio baseline/app (goal >= 0.8: the engine costs at most 25% more than
plain DuckDB). Each run writes into a fresh DuckDB file; runs alternate so page-cache effects are shared.
Both the best and the median run are reported: on a shared machine the best run is the fairer figure.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import duckdb

from pipelines.connectors.base import ConfiguredStream, ReadContext
from pipelines.connectors.files import CsvConnector
from pipelines.duckdb_conn import connect
from pipelines.ingest import run_sync

GENERATE = """
COPY (
    SELECT
        range AS id,
        'user_' || (range % 100000) AS name,
        round(random() * 1000, 2) AS amount,
        CAST(range % 97 AS INTEGER) AS qty,
        range % 3 = 0 AS active,
        DATE '2020-01-01' + CAST(range % 1500 AS INTEGER) AS day,
        TIMESTAMP '2020-01-01' + to_seconds(range) AS created_at,
        ['north', 'south', 'east', 'west'][1 + range % 4] AS region,
        'note, with a comma ' || (range % 10) AS note,
        (range * 7919) % 1000003 AS code
    FROM range({rows})
) TO '{path}' (HEADER, DELIMITER ',')
"""


def generate(path: Path, rows: int) -> float:
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(GENERATE.format(rows=rows, path=str(path).replace("'", "''")))
    con.close()
    return time.perf_counter() - started


def warm(path: Path) -> None:
    """Read the file once so both contenders start from the same (warm) page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


Timing = tuple[float, float, int]  # wall seconds, CPU seconds (all threads of this process), rows


def baseline(csv: Path, db: Path, ext: Path, memory: str) -> Timing:
    con = connect(db, extension_dir=ext, memory_limit=memory)
    wall, cpu = time.perf_counter(), time.process_time()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = con.execute("SELECT count(*) FROM t").fetchone()
    con.close()
    return wall, cpu, int(row[0]) if row else 0


def app(csv: Path, db: Path, ext: Path, memory: str) -> Timing:
    con = connect(db, extension_dir=ext, memory_limit=memory)
    ctx = ReadContext(allow_local_paths=True)
    streams = [ConfiguredStream("bench")]
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_sync(
        CsvConnector(), {"path": str(csv)}, streams, con=con, schema="raw_bench", ctx=ctx, batch_id=uuid.uuid4().hex
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    con.close()
    return wall, cpu, result.streams["bench"].rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each contender (best and median reported)")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit for both (the app's default)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write the CSV and DuckDB files")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dalgo-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        ext = work / "extensions"
        csv = work / "bench.csv"
        gen_s = generate(csv, args.rows)
        size_mb = csv.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows x 10 columns, {size_mb:,.0f} MB in {gen_s:.1f} s")
        warm(csv)
        base_runs: list[Timing] = []
        app_runs: list[Timing] = []
        for run in range(args.repeat):
            base_runs.append(baseline(csv, work / f"base-{uuid.uuid4().hex}.duckdb", ext, args.memory_limit))
            app_runs.append(app(csv, work / f"app-{uuid.uuid4().hex}.duckdb", ext, args.memory_limit))
            if base_runs[-1][2] != args.rows or app_runs[-1][2] != args.rows:
                raise SystemExit(
                    f"row counts differ: baseline {base_runs[-1][2]}, app {app_runs[-1][2]}, expected {args.rows}"
                )
            (bw, bc, _), (aw, ac, _) = base_runs[-1], app_runs[-1]
            print(
                f"run {run + 1}: duckdb CTAS {bw:6.2f} s wall {bc:6.2f} s cpu | app run_sync {aw:6.2f} s wall {ac:6.2f} s cpu"
            )
        report(args.rows, base_runs, app_runs)


def report(rows: int, base_runs: list[Timing], app_runs: list[Timing]) -> None:
    print()
    print(f"{'contender':<34}{'best wall s':>12}{'median wall s':>15}{'median cpu s':>14}{'rows/s (best)':>15}")
    for label, runs in (("DuckDB CREATE TABLE AS read_csv", base_runs), ("app run_sync (CsvConnector)", app_runs)):
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"{label:<34}{min(walls):>12.2f}{statistics.median(walls):>15.2f}{statistics.median(cpus):>14.2f}{rows / min(walls):>15,.0f}"
        )
    best = min(r[0] for r in base_runs) / min(r[0] for r in app_runs)
    median = statistics.median(r[0] for r in base_runs) / statistics.median(r[0] for r in app_runs)
    cpu = statistics.median(r[1] for r in base_runs) / statistics.median(r[1] for r in app_runs)
    verdict = "OK" if best >= 0.8 else "BELOW GOAL"
    print(
        f"ratio baseline/app: best wall {best:.2f}x, median wall {median:.2f}x, median cpu {cpu:.2f}x (goal >= 0.80x) -> {verdict}"
    )


if __name__ == "__main__":
    main()
