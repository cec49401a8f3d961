"""Desktop start-up: time from launching the app to its first screen with the embedded server healthy, and idle RSS.

    uv run python bench/startup.py [--runs 3] [--settle 3]

Each launch is a fresh subprocess (so imports count), offscreen, on its own DALGO_HOME:
  fresh       first launch on an empty data dir: migrations, then the onboarding screen
  set-up      a data dir that is set up: the login screen
  remembered  set up, with "remember me" stored: straight to the main window (Home)
Baselines measured in the same run, in subprocesses too: an empty Qt window, and the server alone
(import + create_app on a set-up data dir). Goal on the project's 2-core machines: < 3 s and < 350 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S, GOAL_MB = 3.0, 350.0
EMAIL, PASSWORD = "bench@example.org", "nairobi-water-77"


def rss_mb() -> float:
    """Resident set size of this process now (Linux /proc), else the peak from getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --- child processes ----------------------------------------------------------------------------------
def child_app(home: Path, settle: float) -> int:
    """Launch the real app; print monotonic stamps for 'window shown' and 'ready', then idle RSS."""
    from desktop.state import credentials

    credentials.usable_keyring = lambda: None  # the bench's remembered sign-in lives in the data dir file
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app import run
    from desktop.ui.qt_app import create_application

    create_application()
    QTimer.singleShot(0, lambda: print(f"shown {time.monotonic()}", flush=True))  # first loop turn after show()

    def ready(window: object, screen: object) -> None:
        print(f"ready {time.monotonic()} {screen}", flush=True)
        QTimer.singleShot(int(settle * 1000), lambda: (print(f"rss {rss_mb():.1f}", flush=True), QApplication.exit(0)))

    return run(home=home, on_ready=ready)


def child_qt_baseline() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(sys.argv[:1])
    label = QLabel("hello")
    label.show()
    QTimer.singleShot(0, lambda: (print(f"ready {time.monotonic()} window", flush=True), app.exit(0)))
    return app.exec()


def child_server_baseline(home: Path) -> int:
    from server.core.config import Settings
    from server.main import create_app

    create_app(Settings(home=home, mode="embedded"))
    print(f"ready {time.monotonic()} server", flush=True)
    return 0


# --- the parent ---------------------------------------------------------------------------------------
def launch(args: list[str], home: Path | None) -> dict[str, float | str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("DALGO_")}
    if home is not None:
        env["DALGO_HOME"] = str(home)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, __file__, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    if proc.returncode != 0:
        raise SystemExit(f"launch {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result: dict[str, float | str] = {"total": time.monotonic() - start}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[0] in ("shown", "ready"):
            result[parts[0]] = float(parts[1]) - start
        if parts[0] == "ready":
            result["screen"] = parts[2]
        if parts[0] == "rss":
            result["rss"] = float(parts[1])
    return result


def prepare_set_up(home: Path) -> None:
    """A data dir after onboarding, made through the real API."""
    from desktop.app import EmbeddedServer, embedded_settings
    from desktop.client import DalgoClient

    server = EmbeddedServer(embedded_settings(home))
    client = DalgoClient(server.start())
    try:
        client.setup(EMAIL, PASSWORD, "Bench Office")
    finally:
        client.close()
        server.stop()


def scenario_home(kind: str, template: Path | None, base: Path, n: int) -> Path:
    home = base / f"{kind}-{n}"
    if kind == "fresh":
        return home
    assert template is not None
    shutil.copytree(template, home)
    if kind == "remembered":
        remember_sign_in(home)
    return home


def remember_sign_in(home: Path) -> None:
    """Sign in once through the API to get a refresh token for this copy of the data dir."""
    from desktop.app import EmbeddedServer, embedded_settings
    from desktop.client import DalgoClient
    from desktop.state.credentials import FileCredentialStore, Remembered

    server = EmbeddedServer(embedded_settings(home))
    client = DalgoClient(server.start())
    try:
        tokens = client.login(EMAIL, PASSWORD)
    finally:
        client.close()
        server.stop()
    FileCredentialStore(home / "credentials.json").save(f"local:{home}", Remembered(EMAIL, tokens.refresh_token))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before RSS is read")
    parser.add_argument("--child", choices=["app", "qt", "server"])
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    if args.child == "app":
        return child_app(args.home, args.settle)
    if args.child == "qt":
        return child_qt_baseline()
    if args.child == "server":
        return child_server_baseline(args.home)

    base = Path(tempfile.mkdtemp(prefix="dalgo-bench-startup-"))
    try:
        template = base / "template"
        prepare_set_up(template)
        kinds = ("fresh", "set-up", "remembered")
        results: dict[str, list[dict[str, float | str]]] = {kind: [] for kind in (*kinds, "qt", "server")}
        for n in range(args.runs):  # round-robin, so load from other processes hits every scenario alike
            for kind in kinds:
                home = scenario_home(kind, template, base, n)
                results[kind].append(
                    launch(["--child", "app", "--home", str(home), "--settle", str(args.settle)], home)
                )
            results["qt"].append(launch(["--child", "qt"], None))
            home = scenario_home("set-up", template, base, 100 + n)
            results["server"].append(launch(["--child", "server", "--home", str(home)], None))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    rows = [(kind, results[kind]) for kind in kinds]
    qt_s = median([float(r["ready"]) for r in results["qt"]])
    server_s = median([float(r["ready"]) for r in results["server"]])
    report(rows, qt_s, server_s, args.runs)
    return 0


def report(rows: list[tuple[str, list[dict[str, float | str]]]], qt_s: float, server_s: float, runs: int) -> None:
    print(f"\nDalgo Desktop start-up, offscreen, median of {runs} launches (min in brackets)\n")
    print(
        f"{'scenario':<12} {'window shown':>13} {'ready':>15} {'screen':>11} {'idle RSS':>10} {'vs server':>10}  goal"
    )
    for kind, results in rows:
        shown = [float(r["shown"]) for r in results]
        ready = [float(r["ready"]) for r in results]
        rss = [float(r["rss"]) for r in results]
        ok = median(ready) < GOAL_S and max(rss) < GOAL_MB
        print(
            f"{kind:<12} {median(shown):>12.2f}s {median(ready):>6.2f}s ({min(ready):.2f}s) {results[0]['screen']:>11} "
            f"{median(rss):>7.0f} MB {median(ready) / server_s:>9.2f}x  {'met' if ok else 'MISSED'} (< {GOAL_S:.0f} s, < {GOAL_MB:.0f} MB)"
        )
    print(
        f"\nbaselines (same run): server alone, import + create_app on a set-up data dir {server_s:.2f} s "
        f"('vs server' = ready / this); an empty Qt window shown {qt_s:.2f} s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
