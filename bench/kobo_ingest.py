"""Benchmark: KoboToolbox ingest vs plain paging of the same Kobo-like fake (goal: app >= 0.5x plain).

The fake KPI API v2 server (tests/fakes/kobo.py) runs in its own process — a real Kobo is another
machine — with 100k submissions (repeats, select_multiple, attachments) served 1000 per page.

(a) plain paging: httpx GETs every page (same query as the connector) and json-decodes it.
(b) the app: KoboConnector.read() end to end into DuckDB through pipelines.ingest.run_sync (full refresh:
    typed Arrow batches, child table for the repeat, staging table swapped in).
(c) for diagnosis only: the connector's read() without DuckDB.

Run: `uv run python bench/kobo_ingest.py [--records 100000] [--rounds 3]`. Prints rows/s, the client's CPU
seconds (all threads) and the ratio; wall-clock figures suffer on a busy machine, CPU seconds much less.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.connectors.base import ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.kobo import KoboConnector
from pipelines.duckdb_conn import connect
from pipelines.ingest import run_sync
from tests.fakes.kobo import TOKEN, KoboFake
from tests.fakes.server import serve_app

STREAM = "household_survey"
UID = "aHouseholdSurvey01"
SORT = json.dumps({"_submission_time": 1, "_id": 1})  # the connector's order, so both hit the same cache


def _serve(records: int, conn: Connection) -> None:
    """Child process: build the fake and serve it until told to stop."""
    fake = KoboFake(records, page_cap=1000)
    with serve_app(fake.app()) as server:
        conn.send(server.url)
        conn.recv()


def plain_paging(url: str) -> int:
    """GET every page with httpx and json-decode it; returns the number of records."""
    count = 0
    with httpx.Client(headers={"Authorization": f"Token {TOKEN}"}, timeout=60) as client:
        next_url: str | None = f"{url}/api/v2/assets/{UID}/data/"
        params: dict[str, str | int] | None = {"format": "json", "limit": 1000, "sort": SORT}
        while next_url:
            page = client.get(next_url, params=params).json()
            count += len(page["results"])
            next_url, params = page["next"], None
    return count


def app_ingest(url: str, workdir: Path, round_no: int) -> int:
    """The connector end to end into a DuckDB file through the ingest engine; returns submissions loaded."""
    con = connect(workdir / f"warehouse_{round_no}.duckdb", extension_dir=workdir / "ext", memory_limit="2GB")
    try:
        result = run_sync(
            KoboConnector(),
            {"server_url": url, "api_token": TOKEN},
            [ConfiguredStream(STREAM, SyncMode.full_refresh)],
            con=con,
            schema="raw_kobo_bench",
            ctx=ReadContext(),
            batch_id=f"bench-{round_no}",
        )
        loaded = con.execute(f"SELECT count(*) FROM raw_kobo_bench.{STREAM}").fetchone()
        assert loaded is not None and loaded[0] == result.rows, (loaded, result.rows)
        return int(result.rows)
    finally:
        con.close()


def connector_only(url: str) -> int:
    ctx = ReadContext()
    batches = KoboConnector().read({"server_url": url, "api_token": TOKEN}, ConfiguredStream(STREAM), None, ctx)
    return sum(b.data.num_rows for b in batches if b.table_name == STREAM)  # type: ignore[union-attr]


def timed(fn: object, *args: object) -> tuple[int, float, float]:
    """(rows, wall seconds, CPU seconds of this process, all threads)."""
    started, cpu = time.perf_counter(), time.process_time()
    rows = fn(*args)  # type: ignore[operator]
    return int(rows), time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of N for each measurement")
    args = parser.parse_args()

    parent, child = mp.Pipe()
    server = mp.Process(target=_serve, args=(args.records, child), daemon=True)
    server.start()
    url = parent.recv()
    try:
        plain_paging(url)  # warm-up: the fake builds and sorts its records once
        with tempfile.TemporaryDirectory(prefix="dalgo-kobo-bench-") as tmp:
            connect(":memory:", extension_dir=Path(tmp) / "ext").close()  # copy extension binaries untimed
            best: dict[str, tuple[int, float, float]] = {}
            for round_no in range(args.rounds):  # interleaved rounds, best of each: fair on a busy machine
                for name, fn, extra in (
                    ("plain", plain_paging, ()),
                    ("app", app_ingest, (Path(tmp), round_no)),
                    ("read", connector_only, ()),
                ):
                    rows, seconds, cpu = timed(fn, url, *extra)
                    if rows != args.records:
                        raise SystemExit(f"{name}: expected {args.records} records, got {rows}")
                    if name not in best or seconds < best[name][1]:
                        best[name] = (rows, seconds, cpu)
        report(best, args.records)
    finally:
        parent.send("stop")
        server.join(timeout=10)


def report(best: dict[str, tuple[int, float, float]], records: int) -> None:
    rate = {name: rows / seconds for name, (rows, seconds, _cpu) in best.items()}
    print(f"Kobo-like fake: {records:,} submissions, 1000 per page, server in its own process")
    print(f"{'measure':<44}{'seconds':>9}{'rows/s':>10}{'client CPU s':>14}")
    labels = {
        "plain": "(a) plain paging: httpx GET + json decode",
        "app": "(b) app: KoboConnector → run_sync → DuckDB",
        "read": "(c) connector read() only (no DuckDB)",
    }
    for name in ("plain", "app", "read"):
        _rows, seconds, cpu = best[name]
        print(f"{labels[name]:<44}{seconds:>9.2f}{rate[name]:>10,.0f}{cpu:>14.2f}")
    ratio = rate["app"] / rate["plain"]
    print(f"ratio app / plain = {ratio:.2f}x (goal >= 0.5x): {'OK' if ratio >= 0.5 else 'BELOW GOAL'}")


if __name__ == "__main__":
    main()
