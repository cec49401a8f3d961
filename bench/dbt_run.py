"""dbt on a 20-model project: the app's runner (warm manifest) vs direct `dbtRunner().invoke(["run"])`.

Usage: uv run python bench/dbt_run.py [--rows 200000] [--runs 7]

Builds a DuckDB warehouse with `raw_bench.events` (`--rows` rows) in a temp folder, an org dbt project from
`bundled_dbt/` with 20 models (4 staging, 8 intermediate joins/aggregates, 8 marts), and holds the app's
connection to the file open, as the server does. Then, in this one process:

- dbt import time, the app runner's first `run` (full parse + run): the cold start, and the first run of a
  new runner on the same project (dbt's partial-parse file present, as after an app restart);
- warm runs, alternating: the app runner (`DbtRunner.run()`, parsed manifest kept) and a plain
  `dbtRunner().invoke(["run", ...])` (what a script would do; dbt re-checks the project each time), plus
  `dbtRunner(manifest=...)` invoked directly (dbt's own best case).

Prints medians (wall, and CPU seconds of the process) and the direct/app ratio (goal: >= 0.9x, i.e. the app is
at most ~10% slower than direct).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.dbt.profiles import DuckDBTarget  # noqa: E402
from pipelines.dbt.project import OrgDbtProject  # noqa: E402
from pipelines.dbt.results import RunResult  # noqa: E402
from pipelines.dbt.runner import DbtRunner  # noqa: E402
from pipelines.dbt.sources import raw_tables_from_duckdb, sync_sources_yml  # noqa: E402
from pipelines.duckdb_conn import connect  # noqa: E402

SRC = "{{ source('raw_bench', 'events') }}"


def build_warehouse(path: Path, extension_dir: Path, rows: int) -> duckdb.DuckDBPyConnection:
    con = connect(path, extension_dir=extension_dir)
    con.execute("CREATE SCHEMA raw_bench")
    con.execute(
        f"""CREATE TABLE raw_bench.events AS SELECT
            range AS id,
            'district_' || (range % 40) AS district,
            'village_' || (range % 2000) AS village,
            DATE '2024-01-01' + CAST(range % 365 AS INTEGER) AS visit_date,
            (range * 7919) % 100 AS score,
            (range % 9) + 1 AS household_size,
            CASE WHEN range % 17 = 0 THEN NULL ELSE 'enumerator_' || (range % 60) END AS enumerator
        FROM range({rows})"""
    )
    return con


def models() -> dict[str, str]:
    """20 models: staging from the source, intermediates joining/aggregating them, marts on top."""
    out = {
        "stg_events": f"select * from {SRC} where enumerator is not null",
        "stg_districts": f"select distinct district from {SRC}",
        "stg_villages": f"select distinct district, village from {SRC}",
        "stg_scores": f"select id, score, household_size from {SRC}",
    }
    for i in range(1, 9):
        out[f"int_{i:02d}"] = (
            f"select e.district, count(*) as visits, avg(s.score) as avg_score, sum(s.household_size) as people\n"
            f"from {{{{ ref('stg_events') }}}} e join {{{{ ref('stg_scores') }}}} s using (id)\n"
            f"where e.id % 8 = {i - 1} group by 1"
        )
    for i in range(1, 9):
        a, b = f"int_{i:02d}", f"int_{(i % 8) + 1:02d}"
        out[f"mart_{i:02d}"] = (
            f"select a.district, a.visits + b.visits as visits, {{{{ dalgo_safe_divide('a.people', 'b.visits') }}}}"
            f" as ratio\nfrom {{{{ ref('{a}') }}}} a join {{{{ ref('{b}') }}}} b using (district)\n"
            f"join {{{{ ref('stg_districts') }}}} d using (district)"
        )
    return out


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def wall_and_cpu(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the whole process (steadier when other work shares the cores)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    extension_dir = Path(os.environ.get("DALGO_TEST_EXTENSION_DIR", Path.home() / ".cache" / "dalgo-test-duckdb-ext"))
    with tempfile.TemporaryDirectory(prefix="dalgo-bench-dbt-") as tmp:
        root = Path(tmp)
        con = build_warehouse(root / "warehouse.duckdb", extension_dir, args.rows)
        target = DuckDBTarget(root / "warehouse.duckdb", extension_dir)
        project = OrgDbtProject(root / "dbt")
        project.ensure(REPO / "bundled_dbt", target)
        sync_sources_yml(project, raw_tables_from_duckdb(con))
        for name, sql in models().items():
            project.write_model(name, sql)
        report(measure(project, target, args.runs), args)
        con.close()


def _check(result: RunResult) -> None:
    assert result.success and len(result.nodes) == 20, result.error


def measure(project: OrgDbtProject, target: DuckDBTarget, runs: int) -> dict[str, object]:
    import_s = timed(lambda: __import__("dbt.cli.main"))
    from dbt.cli.main import dbtRunner

    runner = DbtRunner(project.path, target)
    cold = runner.run()
    assert cold.success and len(cold.nodes) == 20, cold.error or [n.message for n in cold.nodes]
    base_args = ["run", "--project-dir", str(project.path), "--profiles-dir", str(project.path)]
    app, direct, direct_manifest = [], [], []

    def invoke(manifest: object = None) -> None:
        cwd = os.getcwd()
        os.chdir(project.path)  # as dbt-duckdb needs for seeds; the app runner does the same
        try:
            outcome = dbtRunner(manifest=manifest).invoke([*base_args, "--quiet"])  # type: ignore[arg-type]
            assert outcome.success, outcome.exception
        finally:
            os.chdir(cwd)

    invoke()  # warm dbt's partial-parse file for the direct path too
    for _ in range(runs):
        app.append(wall_and_cpu(lambda: _check(runner.run())))
        direct.append(wall_and_cpu(invoke))
        direct_manifest.append(wall_and_cpu(lambda: invoke(runner.manifest)))
    restart = DbtRunner(project.path, target).run()  # a new worker: dbt's partial-parse file is there
    assert restart.success and restart.parsed
    return {
        "import": import_s,
        "cold": cold.elapsed,
        "restart": restart.elapsed,
        "app": app,
        "direct": direct,
        "direct_manifest": direct_manifest,
        "rows": sum(n.rows_affected or 0 for n in cold.nodes),
    }


def report(m: dict, args: argparse.Namespace) -> None:
    def med(key: str, i: int) -> float:
        return statistics.median(x[i] for x in m[key])

    app, direct, best = med("app", 0), med("direct", 0), med("direct_manifest", 0)
    print(f"20-model project over raw_bench.events ({args.rows:,} rows), {args.runs} warm runs each, alternating")
    print(f"{'measure':<52}{'wall s':>9}{'cpu s':>9}")
    print(f"{'import dbt (dbt.cli.main)':<52}{m['import']:>9.2f}")
    print(f"{'app runner, first run (full parse + run): cold start':<52}{m['cold']:>9.2f}")
    print(f"{'new app runner on the same project, first run':<52}{m['restart']:>9.2f}")
    print(f"{'app runner, warm run (median)':<52}{app:>9.3f}{med('app', 1):>9.3f}")
    print(f"{'direct dbtRunner().invoke([run]) (median)':<52}{direct:>9.3f}{med('direct', 1):>9.3f}")
    print(f"{'direct dbtRunner(manifest=...).invoke (median)':<52}{best:>9.3f}{med('direct_manifest', 1):>9.3f}")
    print(f"{'cold start overhead (first run - warm run)':<52}{m['cold'] - app:>9.2f}")
    print(f"ratio direct / app: wall {direct / app:.2f}x, cpu {med('direct', 1) / med('app', 1):.2f}x (goal >= 0.9x)")
    print(
        f"ratio direct-with-manifest / app: wall {best / app:.2f}x, cpu {med('direct_manifest', 1) / med('app', 1):.2f}x"
    )
    print(f"app wall: {[round(x[0], 2) for x in m['app']]}  direct wall: {[round(x[0], 2) for x in m['direct']]}")


if __name__ == "__main__":
    main()
