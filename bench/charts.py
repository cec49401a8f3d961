"""Chart benchmark: a dashboard of 8 charts over a 10M-row DuckDB table, drawn by the engine.

Prints, per chart and in total:
  * cold: the chart's one query (through the warehouse client) + drawing it to PNG — goal total < 3 s;
  * cached data: the query served from the chart cache, drawing again — what a changed size or format costs;
  * cached: data and picture both kept (what the server answers for an unchanged dashboard) — goal < 0.5 s;
  * baseline: the same 8 SQL statements run bare on the DuckDB connection, no client, no drawing;
  * peak RSS while the 8 charts are drawn into one multi-page PDF (matplotlib PdfPages).

    uv run python bench/charts.py [--rows 10000000] [--runs 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.charts.cache import ChartCache  # noqa: E402
from pipelines.charts.draw_table import rows_per_image  # noqa: E402
from pipelines.charts.query import build  # noqa: E402
from pipelines.charts.render import figure_for, pdf_of, render  # noqa: E402
from pipelines.charts.run import run_chart  # noqa: E402
from pipelines.charts.spec import ChartSpec  # noqa: E402
from pipelines.duckdb_conn import connect  # noqa: E402
from pipelines.warehouse.duckdb import DuckDBWarehouse  # noqa: E402

T = {"schema": "dash", "table": "visits"}
CHARTS: dict[str, dict[str, Any]] = {
    "bar: paid by district": {
        "chart_type": "bar",
        "dimensions": ["district"],
        "metrics": [{"agg": "sum", "column": "paid"}],
        "number_format": "indian",
    },
    "stacked bar: district x sex": {"chart_type": "bar", "dimensions": ["district", "sex"], "stacked": True},
    "line: visits per month": {"chart_type": "line", "dimensions": ["visit_date"], "time_grain": "month"},
    "area: paid per week": {
        "chart_type": "area",
        "dimensions": ["visit_date"],
        "time_grain": "week",
        "metrics": [{"agg": "sum", "column": "paid"}],
        "number_format": "indian",
    },
    "donut: 5,000 villages": {"chart_type": "pie", "dimensions": ["village"], "donut": True},
    "number: paid this month": {
        "chart_type": "number",
        "time_column": "visit_date",
        "time_grain": "month",
        "metrics": [{"agg": "sum", "column": "paid"}],
        "number_format": "indian_short",
    },
    "histogram: age": {"chart_type": "histogram", "dimensions": ["age"], "bins": 20},
    "table: first page": {
        "chart_type": "table",
        "dimensions": ["id", "district", "village", "paid"],
        "sort": [{"by": "id"}],
    },
}
W, H = 800, 500


def build_table(con: Any, rows: int) -> None:
    con.execute("CREATE SCHEMA dash")
    con.execute(f"""
        CREATE TABLE dash.visits AS SELECT i AS id,
          'District ' || (i % 40) AS district,
          'Village ' || (hash(i) % 5000) AS village,
          CASE WHEN hash(i * 3) % 2 = 0 THEN 'Girl' ELSE 'Boy' END AS sex,
          (i % 90)::INTEGER AS age,
          (hash(i * 7) % 100000) / 10.0 AS paid,
          DATE '2023-01-01' + (i % 700)::INTEGER AS visit_date
        FROM range({rows}) r(i)""")


def specs() -> dict[str, ChartSpec]:
    return {name: ChartSpec.model_validate({"input": T, "title": name, **s}) for name, s in CHARTS.items()}


def limit_of(spec: ChartSpec) -> int | None:
    return rows_per_image(H) if spec.chart_type == "table" else None


def cold(client: DuckDBWarehouse, charts: dict[str, ChartSpec]) -> tuple[dict[str, tuple[float, float]], dict]:
    """Per chart (query s, render s), and the results for the cache."""
    times, results = {}, {}
    for name, spec in charts.items():
        t0 = time.perf_counter()
        result = run_chart(client, spec, limit=limit_of(spec))
        t1 = time.perf_counter()
        render(spec, result, "png", width=W, height=H)
        times[name] = (t1 - t0, time.perf_counter() - t1)
        results[name] = result
    return times, results


def cached(charts: dict[str, ChartSpec], results: dict, draw: bool, images: ChartCache) -> float:
    """Total for the 8 charts with data from the cache; `draw=False`: the picture is kept too."""
    cache = ChartCache()
    for name, spec in charts.items():
        cache.put((spec.key(), "v1"), results[name])
    t0 = time.perf_counter()
    for spec in charts.values():
        result = cache.get((spec.key(), "v1"))
        hit = None if draw else images.get((spec.key(), "png", W, H))
        if hit is None:
            images.put((spec.key(), "png", W, H), render(spec, result, "png", width=W, height=H))
    return time.perf_counter() - t0


def bare(con: Any, client: DuckDBWarehouse, charts: dict[str, ChartSpec]) -> float:
    """The same statements run directly on the connection (no catalog lookup, no shaping, no drawing)."""
    columns = client.columns("dash", "visits")
    built = [
        build(s, client.dialect, client.dialect.table("dash", "visits"), columns, limit=limit_of(s))
        for s in charts.values()
    ]
    t0 = time.perf_counter()
    for b in built:
        con.execute(b.sql, b.params.values).fetchall()
        if b.count_sql:
            con.execute(b.count_sql, b.count_params.values if b.count_params else []).fetchall()
    return time.perf_counter() - t0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pdf_peak(charts: dict[str, ChartSpec], results: dict, out: Path) -> tuple[float, float, float]:
    """(RSS before, peak RSS while drawing the 8-page PDF, seconds), sampled every 5 ms."""
    before, peak, done = rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.005)

    watcher = threading.Thread(target=sample)
    watcher.start()
    t0 = time.perf_counter()
    pdf = pdf_of(figure_for(spec, results[name], width=1100, height=750) for name, spec in charts.items())
    seconds = time.perf_counter() - t0
    done.set()
    watcher.join()
    (out / "dashboard-8-charts.pdf").write_bytes(pdf)
    return before, peak[0], seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write the PNGs and the PDF here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        con = connect(Path(tmp) / "bench.duckdb", extension_dir=Path(tmp) / "ext")
        t0 = time.perf_counter()
        build_table(con, args.rows)
        print(f"built dash.visits: {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
        client, charts = DuckDBWarehouse(con), specs()
        render(charts["histogram: age"], run_chart(client, charts["histogram: age"]), "png")  # matplotlib import
        runs = [cold(client, charts) for _ in range(args.runs)]
        results = runs[-1][1]
        print(f"\n{'chart':32} {'query p50':>10} {'render p50':>11}")
        for name in charts:
            q = statistics.median(r[0][name][0] for r in runs)
            d = statistics.median(r[0][name][1] for r in runs)
            print(f"{name:32} {q * 1000:8.0f} ms {d * 1000:9.0f} ms")
        totals = [sum(q + d for q, d in r[0].values()) for r in runs]
        queries = [sum(q for q, _ in r[0].values()) for r in runs]
        base = [bare(con, client, charts) for _ in range(args.runs)]
        images = ChartCache()
        redraw = [cached(charts, results, True, images) for _ in range(args.runs)]
        kept = [cached(charts, results, False, images) for _ in range(args.runs)]
        print(f"\ncold total (8 queries + 8 PNGs)  p50 {statistics.median(totals):.2f} s   (goal < 3 s)")
        print(f"  of which queries               p50 {statistics.median(queries):.2f} s")
        print(
            f"baseline: 8 bare queries         p50 {statistics.median(base):.2f} s   "
            f"(client/bare {statistics.median(queries) / statistics.median(base):.2f}x)"
        )
        print(f"cached data, drawn again         p50 {statistics.median(redraw):.2f} s")
        print(f"cached data and picture          p50 {statistics.median(kept) * 1000:.1f} ms (goal < 0.5 s)")
        before, peak, seconds = pdf_peak(charts, results, out)
        print(f"8-page PDF: {seconds:.2f} s, RSS {before:.0f} MB before, peak {peak:.0f} MB (+{peak - before:.0f} MB)")
        if args.out:
            for name, spec in charts.items():
                slug = name.split(":")[0].replace(" ", "-")
                (out / f"{slug}.png").write_bytes(render(spec, results[name], "png", width=W, height=H))
        con.close()


if __name__ == "__main__":
    main()
