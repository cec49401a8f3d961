"""Run dbt for one org in a child process that holds none of the server's secrets (hosted servers).

A hosted server is shared by orgs that do not trust each other, and a dbt project is code an org admin
wrote: Jinja (`env_var()` reads the process environment), hooks and SQL. So each command runs in
`python -m pipelines.dbt.worker` with a scrubbed environment (no DALGO_* settings, no app DB URL; only
the org's own warehouse secret), its working directory in the org's project, and, for DuckDB, the same
confined connection the server uses (`pipelines.duckdb_conn.confine`). dbt Python models would run
arbitrary code in that process, so a project holding one is refused before anything starts.

The child needs the org's DuckDB file, which one process at a time may open: the caller passes `lend`,
a context manager that closes its own connection for the duration (see `server.core.storage`).
Different orgs' children run at the same time; one org's commands are serialised by that lending.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, fields
from pathlib import Path
from typing import IO, Any

from pipelines.dbt.errors import DbtInvocationError, DbtProjectError
from pipelines.dbt.lineage import LineageGraph
from pipelines.dbt.profiles import DuckDBTarget, WarehouseTarget
from pipelines.dbt.results import NodeResult, RunResult
from pipelines.dbt.runner import BASE_ENV, DbtCommands, NodeProgress, ProgressFn
from pipelines.errors import ConfigError

# What a child may inherit from the server's environment: locale and the OS's own essentials, no secrets.
PASS_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "WINDIR", "PYTHONPATH")
CANCEL_GRACE_SECONDS = 30.0
Lend = Callable[[], AbstractContextManager[Any]]


class DbtPythonModelRefused(ConfigError):
    """A dbt Python model would run arbitrary code on a shared server."""


def python_models(project_dir: Path) -> list[str]:
    """Python model files of the project (dbt looks for them in the model paths; `models/` here)."""
    root = project_dir / "models"
    return sorted(str(p.relative_to(project_dir)) for p in root.rglob("*.py")) if root.is_dir() else []


def refuse_python_models(project_dir: Path) -> None:
    """Raise DbtPythonModelRefused naming the files when the project holds dbt Python models."""
    found = python_models(project_dir)
    if found:
        raise DbtPythonModelRefused(
            f"This server does not run dbt Python models, which could run any code: {', '.join(found[:5])}",
            hint="Rewrite them as SQL models, or run the project in the desktop app",
        )


class IsolatedDbtRunner(DbtCommands):
    """The `DbtRunner` commands, each run by a fresh worker process with a scrubbed environment."""

    def __init__(
        self,
        project_dir: Path | str,
        target: WarehouseTarget | None = None,
        *,
        lend: Lend | None = None,
        python: str = sys.executable,
        lock_wait_seconds: float = 600.0,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.target = target
        self.lend = lend
        self.python = python
        self.lock_wait_seconds = lock_wait_seconds
        self.parse_count = 0

    def invalidate(self) -> None:
        """Nothing is kept in this process; dbt's partial parsing in target/ speeds up the next parse."""

    def parse(self, *, force: bool = True) -> RunResult:
        """`dbt parse` (writes target/manifest.json)."""
        return self._execute("parse", [], None, None)

    def lineage(self) -> LineageGraph:
        """Sources → models, from the manifest the child writes."""
        result = self.parse()
        if not result.success:
            raise DbtInvocationError(
                f"The dbt project does not parse: {result.error}", hint="Fix the file named in the message"
            )
        manifest = json.loads((self.project_dir / "target" / "manifest.json").read_text(encoding="utf-8"))
        return LineageGraph.from_manifest(manifest)

    def _execute(
        self, command: str, args: list[str], cancel_event: threading.Event | None, progress: ProgressFn | None
    ) -> RunResult:
        if not (self.project_dir / "dbt_project.yml").is_file():
            raise DbtProjectError(f"No dbt project named '{self.project_dir.name}'", hint="Open the Transform page")
        refuse_python_models(self.project_dir)
        request = {
            "project_dir": str(self.project_dir),
            "command": command,
            "args": args,
            "target": target_to_wire(self.target),
            "lock_wait_seconds": self.lock_wait_seconds,
        }
        with self._lent():
            result = self._spawn(request, cancel_event, progress)
        if command == "parse":
            self.parse_count += 1
        return result

    @contextlib.contextmanager
    def _lent(self) -> Iterator[None]:
        if self.lend is None or not isinstance(self.target, DuckDBTarget):
            yield
            return
        with self.lend():
            yield

    def _spawn(
        self, request: dict[str, Any], cancel_event: threading.Event | None, progress: ProgressFn | None
    ) -> RunResult:
        child = subprocess.Popen(
            [self.python, "-m", "pipelines.dbt.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.project_dir,
            env=self.child_env(),
            text=True,
            encoding="utf-8",
        )
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        child.stdin.write(json.dumps(request))
        child.stdin.close()
        stderr: list[str] = []
        drain = threading.Thread(target=lambda: stderr.extend(child.stderr or []), daemon=True)
        drain.start()
        stop = _cancel_on(child, cancel_event)
        try:
            result = _read_events(child.stdout, progress)
        finally:
            stop.set()
            child.wait()
            drain.join(timeout=5)
        if result is None:
            tail = "".join(stderr)[-800:].strip()
            return RunResult(
                request["command"], success=False, error=f"The dbt process stopped unexpectedly: {tail or 'no output'}"
            )
        return result

    def child_env(self) -> dict[str, str]:
        """The child's whole environment: locale, PATH, dbt's no-telemetry flags and the org's own secret."""
        env = {key: os.environ[key] for key in PASS_ENV if key in os.environ}
        home = self.project_dir.parent / "tmp"
        home.mkdir(parents=True, exist_ok=True)
        env.update(BASE_ENV)
        env.update(HOME=str(home), TMPDIR=str(home), PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
        if self.target is not None:
            env.update(self.target.secret_env())
        return env


def _read_events(stream: IO[str], progress: ProgressFn | None) -> RunResult | None:
    result: RunResult | None = None
    for line in stream:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a library printing to stdout: not ours
        if event.get("type") == "node" and progress is not None:
            fields = ("event", "unique_id", "name", "status", "index", "total")
            progress(NodeProgress(**{k: event.get(k) for k in fields}))
        elif event.get("type") == "result":
            result = result_from_wire(event["result"])
    return result


def _cancel_on(child: subprocess.Popen[str], cancel_event: threading.Event | None) -> threading.Event:
    """Forward a cancel as SIGINT (dbt stops like on Ctrl-C); kill the child if it has not stopped in time."""
    stop = threading.Event()
    if cancel_event is None:
        return stop

    def watch() -> None:
        while not stop.wait(0.1):
            if cancel_event.is_set():
                with contextlib.suppress(OSError):
                    child.send_signal(signal.SIGINT)
                if stop.wait(CANCEL_GRACE_SECONDS):
                    return
                with contextlib.suppress(OSError):
                    child.kill()
                return

    threading.Thread(target=watch, name="dbt-child-cancel", daemon=True).start()
    return stop


def target_to_wire(target: WarehouseTarget | None) -> dict[str, Any] | None:
    """What the child needs of a target (DuckDB: the file and its confinement); secrets travel in the env."""
    if not isinstance(target, DuckDBTarget):
        return None
    return {
        "path": str(target.path),
        "extension_dir": str(target.extension_dir),
        "schema": target.schema,
        "threads": target.threads,
        "data_folders": [str(f) for f in target.data_folders],
        "memory_limit": target.memory_limit,
    }


def target_from_wire(data: dict[str, Any] | None) -> DuckDBTarget | None:
    """The DuckDB target of a request (None for Postgres/BigQuery: the profile and env say it all)."""
    if data is None:
        return None
    return DuckDBTarget(
        Path(data["path"]),
        Path(data["extension_dir"]),
        schema=data["schema"],
        threads=int(data["threads"]),
        data_folders=tuple(Path(f) for f in data["data_folders"]),
        memory_limit=data["memory_limit"],
    )


def result_to_wire(result: RunResult) -> dict[str, Any]:
    """A RunResult as JSON-friendly data, logs and compiled SQL included."""
    return asdict(result)


def result_from_wire(data: dict[str, Any]) -> RunResult:
    """The inverse of `result_to_wire`."""
    known = {f.name for f in fields(RunResult)}
    values = {k: v for k, v in data.items() if k in known}
    values["nodes"] = [NodeResult(**node) for node in data.get("nodes", [])]
    return RunResult(**values)
