"""Hosted API under load: list endpoints vs `/health`, with 36 sources (one with a 5,000-column catalog).

    uv run python bench/hosted_api.py [--seconds 60] [--clients 50] [--rounds 4] [--db sqlite,postgres] [--checkout DIR]

For each app DB (SQLite file; a throwaway Postgres database at 127.0.0.1:5432, user postgres) it starts a
real `dalgo serve` (`python -m dalgo serve`, uvicorn, hosted mode) in its own process and fills it through
the HTTP API: orgs "wide" and "narrow", each with 36 CSV sources discovered and synced; in "wide" one source
carries a 5,000-column catalog ("narrow" is the control: the same list without it). Then `--clients`
concurrent keep-alive clients (httpx.AsyncClient) hammer one endpoint at a time: `/health` (the baseline),
`/api/v1/me`, `/api/v1/sources` (wide, then narrow org) and `/api/v1/warehouse/tables`. Each endpoint gets
`--seconds` in total, split over `--rounds` round-robin rounds so load from other processes hits every
endpoint alike. Prints req/s, p50 and p99 per endpoint and their ratio to `/health` from the same run.
Goal: list endpoints within 2x of `/health` and independent of catalog size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
EMAIL, PASSWORD = "bench@example.org", "nairobi-water-77"
SOURCES, WIDE_COLUMNS = 36, 5000


@dataclass
class Target:
    """A running server and what a client needs to call it."""

    base: str
    pid: int  # the server process, whose CPU time is read from /proc
    token: str = ""
    orgs: dict[str, str] = field(default_factory=dict)  # "wide"/"narrow" -> org slug

    def headers(self, org: str | None = None) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}"}
        return {**auth, "X-Dalgo-Org": self.orgs[org]} if org else auth


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server process spent
    client_cpu: float = 0.0  # CPU seconds this (load-generating) process spent
    errors: int = 0
    first_error: str = ""
    body_bytes: int = 0

    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def cpu_ms(self) -> float:
        """Server CPU per request: steadier than req/s when other processes share the cores."""
        return self.server_cpu / len(self.latencies) * 1000 if self.latencies else float("nan")

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


# (label, path, org) measured in this order every round; the first is the baseline
ENDPOINTS = [
    ("/health", "/health", None),
    ("/me", "/api/v1/me", None),
    ("/sources (wide org)", "/api/v1/sources", "wide"),
    ("/sources (narrow org)", "/api/v1/sources", "narrow"),
    ("/warehouse/tables", "/api/v1/warehouse/tables", "wide"),
]


# --- the app DB and the server -----------------------------------------------------------------------
@contextlib.contextmanager
def app_db(kind: str, home: Path) -> Iterator[str]:
    """A SQLite file in the server's data dir, or a throwaway Postgres database (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{home / 'app.db'}"
        return
    import psycopg2

    name = f"dalgo_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.contextmanager
def dalgo_serve(home: Path, database_url: str, checkout: Path) -> Iterator[Target]:
    """`dalgo serve` from `checkout` on a free port, as the README starts a hosted server; yields where it answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALGO_")}
    env["PYTHONPATH"] = str(checkout)  # ahead of the editable install: another checkout's code (before/after a change)
    env.update(DALGO_HOME=str(home), DALGO_DATABASE_URL=database_url, DALGO_SECRET_KEY="b" * 48)
    env.update(DALGO_ACCESS_TOKEN_MINUTES="240")  # one sign-in lasts the whole run
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    with (home / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "dalgo", "serve", "--port", str(port)], cwd=checkout, env=env, stdout=log, stderr=log
        )
        try:
            yield Target(wait_healthy(f"http://127.0.0.1:{port}", server), server.pid)
        finally:
            if server.poll() is not None:  # it died under load: show why before the temp dir goes
                print(
                    f"dalgo serve exited with {server.returncode}:",
                    *(home / "serve.log").read_text().splitlines()[-30:],
                    sep="\n",
                )
            server.terminate()
            server.wait(timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, server: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/health").status_code == 200:
                return base
        time.sleep(0.2)
    raise SystemExit(f"dalgo serve did not become healthy (exit code {server.poll()}); see serve.log")


# --- filling the server through the API --------------------------------------------------------------
def populate(target: Target, database_url: str) -> None:
    """First admin; orgs "wide" and "narrow", each with 36 synced sources; in "wide" one has a 5,000-column catalog."""
    with httpx.Client(base_url=target.base, timeout=300) as client:
        r = client.post("/api/v1/setup", json={"email": EMAIL, "password": PASSWORD, "org_name": "Wide Office"})
        target.token = r.raise_for_status().json()["access_token"]
        target.orgs["wide"] = client.get("/api/v1/me", headers=target.headers()).json()["memberships"][0]["org"]["slug"]
        org = client.post("/api/v1/orgs", json={"name": "Narrow Office"}, headers=target.headers())
        target.orgs["narrow"] = org.raise_for_status().json()["slug"]
        wide = add_sources(client, target, "wide")
        add_sources(client, target, "narrow")
    widen_catalog(database_url, wide[0], WIDE_COLUMNS)


def add_sources(client: httpx.Client, target: Target, org: str) -> list[str]:
    """36 CSV sources of 8 columns, discovered and synced through the API; their ids."""
    ids, jobs = [], []
    for n in range(SOURCES):
        ids.append(csv_source(client, target, org, f"Survey {n:02d}", 8))
        client.post(f"/api/v1/sources/{ids[-1]}/discover", headers=target.headers(org)).raise_for_status()
        r = client.post(f"/api/v1/sources/{ids[-1]}/sync", headers=target.headers(org))
        jobs.append(r.raise_for_status().json()["job_id"])
    for job_id in jobs:
        wait_job(client, target, org, job_id)
    return ids


def widen_catalog(database_url: str, source_id: str, columns: int) -> None:
    """Store a `columns`-wide discovered catalog on a source, in the shape discover stored for it.

    Written to the app DB rather than discovered: what is measured is a list carrying a big catalog, and a
    hosted server parses uploads under a memory limit that a 5,000-column file may exceed.
    """
    from sqlalchemy.orm import Session

    from server.core.config import Settings
    from server.core.db import make_engine
    from server.models import Source

    engine = make_engine(Settings(database_url=database_url).resolved_database_url)  # the server's own driver
    with Session(engine) as session:
        source = session.get_one(Source, source_id)
        stream = dict((source.catalog or [])[0])
        template = stream["columns"][0]
        names = [f"question_{c:04d}" for c in range(columns)]
        stream["columns"] = [{**template, "name": name, "original_name": name} for name in names]
        source.catalog = [stream]
        session.commit()
    engine.dispose()


def csv_source(client: httpx.Client, target: Target, org: str, name: str, columns: int) -> str:
    header = ",".join(f"question_{c:04d}" for c in range(columns))
    rows = "\n".join(",".join(str(r * columns + c) for c in range(columns)) for r in range(20))
    files = {"file": (f"{name}.csv", f"{header}\n{rows}\n".encode(), "text/csv")}
    upload = client.post("/api/v1/uploads", files=files, headers=target.headers(org)).raise_for_status().json()
    body = {"name": name, "type": "csv", "config": {"upload_id": upload["id"]}}
    return str(client.post("/api/v1/sources", json=body, headers=target.headers(org)).raise_for_status().json()["id"])


def wait_job(client: httpx.Client, target: Target, org: str, job_id: str) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=target.headers(org)).json()
        if job["status"] not in ("queued", "running"):
            if job["status"] != "succeeded":
                raise SystemExit(f"sync job {job_id} ended {job['status']}: {job.get('error')}")
            return
        time.sleep(0.1)
    raise SystemExit(f"sync job {job_id} did not finish in 600 s")


# --- load --------------------------------------------------------------------------------------------
async def hammer(target: Target, path: str, org: str | None, clients: int, seconds: float, into: Stats) -> None:
    """`clients` keep-alive connections each sending GET `path` back to back for `seconds`."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=target.base, headers=target.headers(org), limits=limits, timeout=120) as c:
        start, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(target.pid), time.process_time()
        deadline = start + seconds
        await asyncio.gather(*(one_client(c, path, deadline, into) for _ in range(clients)))
        into.seconds += time.perf_counter() - start
        into.server_cpu += cpu_seconds(target.pid) - server_cpu
        into.client_cpu += time.process_time() - client_cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; nan elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_client(client: httpx.AsyncClient, path: str, deadline: float, into: Stats) -> None:
    while (sent := time.perf_counter()) < deadline:
        try:
            r = await client.get(path)
        except httpx.TransportError as err:  # counted and shown, not fatal: one dropped connection is a finding
            into.errors += 1
            into.first_error = into.first_error or f"{type(err).__name__} after {time.perf_counter() - sent:.1f} s"
            continue
        into.latencies.append(time.perf_counter() - sent)
        if r.status_code != 200:
            into.errors += 1
            into.first_error = into.first_error or f"HTTP {r.status_code}: {r.text[:200]}"
        into.body_bytes = len(r.content)


def measure(target: Target, clients: int, seconds: float, rounds: int) -> dict[str, Stats]:
    results = {label: Stats() for label, _, _ in ENDPOINTS}
    for _label, path, org in ENDPOINTS:  # warm-up: lazy imports, caches, connection pools
        asyncio.run(hammer(target, path, org, clients, 2.0, Stats()))
    for _ in range(rounds):
        for label, path, org in ENDPOINTS:
            asyncio.run(hammer(target, path, org, clients, seconds / rounds, results[label]))
    return results


# --- report ------------------------------------------------------------------------------------------
def report(db: str, results: dict[str, Stats], args: argparse.Namespace, load: tuple[float, float]) -> None:
    base = results[ENDPOINTS[0][0]]
    print(f"\n## app DB: {db} — {args.clients} clients, {args.rounds} rounds, {args.seconds:g} s per endpoint, "
          f"load average {load[0]:.1f} → {load[1]:.1f} ({os.cpu_count()} cores)")  # fmt: skip
    print("| endpoint | req/s | p50 | p99 | server CPU/req | errors | body | /health req/s ÷ req/s "
          "| p99 ÷ /health p99 | CPU/req ÷ /health |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, s in results.items():
        print(
            f"| {label} | {s.rps():.0f} | {s.pct(0.50):.0f} ms | {s.pct(0.99):.0f} ms | {s.cpu_ms():.1f} ms "
            f"| {s.errors} | {human_bytes(s.body_bytes)} | {base.rps() / s.rps():.2f}x "
            f"| {s.pct(0.99) / base.pct(0.99):.2f}x | {s.cpu_ms() / base.cpu_ms():.2f}x |"
        )
    for label, s in results.items():
        if s.errors:
            print(f"{label}: {s.errors} errors, the first: {s.first_error}")
    spent = sum(s.client_cpu for s in results.values()) / sum(s.seconds for s in results.values())
    print(f"The load generator itself used {spent:.2f} of a core on average (same machine).")


def human_bytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


def run_one(db: str, args: argparse.Namespace, work: Path) -> None:
    with app_db(db, work / db) as database_url, dalgo_serve(work / db, database_url, args.checkout) as target:
        started = time.monotonic()
        populate(target, database_url)
        print(f"{db}: filled 2 orgs x {SOURCES} sources in {time.monotonic() - started:.0f} s", flush=True)
        before = os.getloadavg()[0]
        results = measure(target, args.clients, args.seconds, args.rounds)
        report(db, results, args, (before, os.getloadavg()[0]))
        if any(s.errors for s in results.values()):  # what the server said about them (not its access lines)
            lines = (work / db / "serve.log").read_text(errors="replace").splitlines()
            print("server log, access lines left out:", *[x for x in lines if 'HTTP/1.1" ' not in x][-40:], sep="\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds per endpoint (all rounds)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent keep-alive clients")
    parser.add_argument("--rounds", type=int, default=4, help="round-robin rounds the seconds are split over")
    parser.add_argument("--db", default="sqlite,postgres", help="app DBs to run on: sqlite, postgres or both")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="serve the code of this checkout (e.g. git archive)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dalgo-bench-hosted-") as work:
        for db in args.db.split(","):
            run_one(db.strip(), args, Path(work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
