"""Run dbt in-process for one org's project: serialised, with the parsed manifest kept warm between runs.

dbt keeps process-wide state (registered adapters, flags, the event manager) and dbt-duckdb resolves seed
paths against the current directory, so every invocation in the process holds one lock and runs with the
project as cwd. The manifest is re-parsed only when a project file changed (paths, mtimes, sizes).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.dbt.cancel import CancelWatch, interrupt_running_queries
from pipelines.dbt.errors import DbtInvocationError, DbtProjectError
from pipelines.dbt.lineage import LineageGraph
from pipelines.dbt.profiles import DuckDBTarget, WarehouseTarget
from pipelines.dbt.results import (
    NodeResult,
    RunResult,
    clean,
    error_location,
    node_result_from_dbt,
    node_result_from_event,
)

_PROCESS_LOCK = threading.RLock()
FINGERPRINT_SKIP = frozenset({"target", "logs", ".git", ".dalgo", "__pycache__"})
BASE_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
LOG_LEVELS = frozenset({"info", "warn", "error"})
COUNTED_MATERIALIZATIONS = frozenset({"table", "incremental", "seed", "snapshot"})


@dataclass(frozen=True)
class NodeProgress:
    """A node started or finished (`status` is set when it finished)."""

    event: str
    unique_id: str
    name: str
    status: str | None = None
    index: int | None = None  # "2 of 5": the node's place in this command, when dbt has said it
    total: int | None = None


ProgressFn = Callable[[NodeProgress], None]


class DbtCommands:
    """run/test/build/seed/compile as arguments for `_execute`, shared by the in-process and isolated runners."""

    def _execute(
        self, command: str, args: list[str], cancel_event: threading.Event | None, progress: ProgressFn | None
    ) -> RunResult:
        raise NotImplementedError

    def run(
        self,
        select: Sequence[str] | None = None,
        cancel_event: threading.Event | None = None,
        *,
        exclude: Sequence[str] | None = None,
        full_refresh: bool = False,
        progress: ProgressFn | None = None,
    ) -> RunResult:
        """`dbt run` (all models, or `select`)."""
        args = _selection(select, exclude) + (["--full-refresh"] if full_refresh else [])
        return self._execute("run", args, cancel_event, progress)

    def test(
        self,
        select: Sequence[str] | None = None,
        cancel_event: threading.Event | None = None,
        *,
        progress: ProgressFn | None = None,
    ) -> RunResult:
        """`dbt test`; a failing test is `warn` or `fail` by its severity."""
        return self._execute("test", _selection(select, None), cancel_event, progress)

    def build(
        self,
        select: Sequence[str] | None = None,
        cancel_event: threading.Event | None = None,
        *,
        progress: ProgressFn | None = None,
    ) -> RunResult:
        """`dbt build`: seeds, models, snapshots and tests in dependency order."""
        return self._execute("build", _selection(select, None), cancel_event, progress)

    def seed(self, select: Sequence[str] | None = None, cancel_event: threading.Event | None = None) -> RunResult:
        """`dbt seed`: load the CSV files of `seeds/`."""
        return self._execute("seed", _selection(select, None), cancel_event, None)

    def compile(self, select: Sequence[str] | None = None) -> RunResult:
        """`dbt compile`; each node's `compiled_code` is in `RunResult.compiled`."""
        return self._execute("compile", _selection(select, None), None, None)


class DbtRunner(DbtCommands):
    """dbt commands for one project; keep one instance per project for the life of the worker process."""

    def __init__(
        self,
        project_dir: Path | str,
        target: WarehouseTarget | None = None,
        *,
        log_level_file: str = "info",
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.target = target
        self.log_level_file = log_level_file
        self.parse_count = 0
        self._manifest: Any = None
        self._fingerprint: str | None = None
        self._lock = threading.Lock()

    @property
    def manifest(self) -> Any:
        """The last parsed dbt `Manifest` (None before the first command)."""
        return self._manifest

    def invalidate(self) -> None:
        """Forget the parsed manifest; the next command parses again."""
        self._manifest, self._fingerprint = None, None

    def parse(self, *, force: bool = True) -> RunResult:
        """Parse the project and keep the manifest (`force=False`: only when a project file changed)."""
        return self._execute("parse", [], None, None, force_parse=force)

    def lineage(self) -> LineageGraph:
        """Sources → models (→ exposures) of the current project files."""
        result = self.parse(force=False)
        if not result.success:
            raise DbtInvocationError(
                f"The dbt project does not parse: {result.error}", hint="Fix the file named in the message"
            )
        return LineageGraph.from_manifest(self._manifest)

    def _execute(
        self,
        command: str,
        args: list[str],
        cancel_event: threading.Event | None,
        progress: ProgressFn | None,
        *,
        force_parse: bool = False,
    ) -> RunResult:
        started = time.perf_counter()
        if not (self.project_dir / "dbt_project.yml").is_file():
            raise DbtProjectError(f"No dbt project at {self.project_dir}", hint="Open the Transform page to create it")
        events = _EventCollector(progress)
        with self._lock, _PROCESS_LOCK, _project_context(self.project_dir, self._env()), self._confined() as keeper:
            watch = CancelWatch(cancel_event, on_cancel=interrupt_running_queries) if cancel_event else None
            try:
                try:
                    if watch:
                        watch.start()
                    result = self._parse_and_invoke(command, args, events, force_parse)
                finally:
                    if watch:
                        watch.finish()
            except KeyboardInterrupt:
                if watch is None or not watch.cancelled:
                    raise
                result = RunResult(command, success=False, error="Cancelled by the user")
            if watch and watch.cancelled:
                _mark_cancelled(result, events)
            if keeper is not None:
                _count_rows(keeper, result)
        result.logs = events.text()
        result.elapsed = time.perf_counter() - started
        return result

    def _parse_and_invoke(self, command: str, args: list[str], events: _EventCollector, force: bool) -> RunResult:
        fingerprint = project_fingerprint(self.project_dir)
        parsed = False
        if force or self._manifest is None or fingerprint != self._fingerprint:
            failure = self._parse(events)
            if failure is not None:
                return failure
            self._fingerprint, parsed = fingerprint, True
        if command == "parse":
            return RunResult("parse", success=True, parsed=parsed)
        result = self._invoke(command, args, events)
        result.parsed = parsed
        return result

    def _parse(self, events: _EventCollector) -> RunResult | None:
        """Parse into `self._manifest`; a failed parse returns the error as a result."""
        from dbt.cli.main import dbtRunner

        self._manifest, self._fingerprint = None, None
        outcome = dbtRunner(callbacks=[events]).invoke(["parse", *self._common_args()])
        self.parse_count += 1
        if outcome.success and outcome.result is not None:
            self._manifest = outcome.result
            return None
        return self._failure("parse", outcome.exception, events, parsed=True)

    def _invoke(self, command: str, args: list[str], events: _EventCollector) -> RunResult:
        from dbt.cli.main import dbtRunner

        outcome = dbtRunner(manifest=self._manifest, callbacks=[events]).invoke([command, *self._common_args(), *args])
        results = getattr(outcome.result, "results", None)
        if results is None:
            if isinstance(outcome.exception, KeyboardInterrupt):
                raise outcome.exception
            return self._failure(command, outcome.exception, events)
        nodes = [node_result_from_dbt(item, self.project_dir) for item in results]
        run = RunResult(command, success=bool(outcome.success), nodes=nodes)
        if command == "compile":
            run.compiled = {item.node.unique_id: item.node.compiled_code for item in results}
        if outcome.exception is not None:
            run.error = clean(str(outcome.exception))
        return run

    def _failure(
        self, command: str, exc: BaseException | None, events: _EventCollector, parsed: bool = False
    ) -> RunResult:
        message = clean(str(exc)) if exc is not None else events.last_error() or f"dbt {command} failed"
        path, line = error_location(exc, self.project_dir) if exc is not None else (None, None)
        return RunResult(command, success=False, error=message, error_file=path, error_line=line, parsed=parsed)

    def _common_args(self) -> list[str]:
        root = str(self.project_dir)
        return [
            "--project-dir", root,
            "--profiles-dir", root,
            "--no-use-colors",
            "--log-level", "none",
            "--log-level-file", self.log_level_file,
            "--no-send-anonymous-usage-stats",
        ]  # fmt: skip

    def _env(self) -> dict[str, str]:
        env = dict(BASE_ENV)
        if self.target is not None:
            env.update(self.target.secret_env())
        return env

    @contextmanager
    def _confined(self) -> Iterator[Any]:
        """For a DuckDB target: the file opened confined before dbt opens it, kept open for the command."""
        if not isinstance(self.target, DuckDBTarget):
            yield None
            return
        from pipelines.duckdb_conn import connect

        target = self.target
        con = connect(
            Path(target.path).resolve(),
            extension_dir=Path(target.extension_dir),
            memory_limit=target.memory_limit,
            confine_to=(*target.data_folders, self.project_dir / "seeds"),
        )
        try:
            yield con
        finally:
            con.close()


def _count_rows(con: Any, result: RunResult) -> None:
    """DuckDB reports no row counts: count the built tables through the runner's connection (cheap)."""
    import duckdb

    for node in (n for n in result.nodes if _countable(n)):
        try:
            row = con.execute(f"SELECT count(*) FROM {node.relation}").fetchone()
        except duckdb.Error:
            continue
        node.rows_affected = int(row[0]) if row else None


def _countable(node: NodeResult) -> bool:
    return (
        node.status == "success"
        and node.rows_affected is None
        and bool(node.relation)
        and node.materialized in COUNTED_MATERIALIZATIONS
    )


def _mark_cancelled(result: RunResult, events: _EventCollector) -> None:
    result.cancelled, result.success = True, False
    result.error = result.error or "Cancelled by the user"
    if not result.nodes:
        result.nodes = events.finished_nodes()
    for node in result.nodes:
        if node.status == "error" and node.message and "interrupt" in node.message.lower():
            node.status, node.message = "cancelled", "Cancelled by the user"


class _EventCollector:
    """dbt event callback: keeps info-and-above log lines, finished nodes, and forwards node progress."""

    def __init__(self, progress: ProgressFn | None) -> None:
        self._progress = progress
        self._lines: list[str] = []
        self._finished: list[Any] = []
        self._errors: list[str] = []
        self._positions: dict[str, tuple[int, int]] = {}

    def __call__(self, msg: Any) -> None:
        info = msg.info
        if info.level in LOG_LEVELS and info.msg:
            stamp = time.strftime("%H:%M:%S", time.localtime(info.ts.seconds))
            self._lines.append(f"{stamp}  {clean(info.msg)}")
            if info.level == "error":
                self._errors.append(clean(info.msg))
        if info.name == "NodeFinished":
            self._finished.append(msg.data)
        if info.name == "LogStartLine":  # "2 of 5 START …": the only event that says where a node stands
            self._positions[msg.data.node_info.unique_id] = (int(msg.data.index), int(msg.data.total))
        if self._progress is not None and info.name in ("NodeStart", "LogStartLine", "NodeFinished"):
            self._notify(info.name, msg.data)

    def _notify(self, name: str, data: Any) -> None:
        node = data.node_info
        event = "finish" if name == "NodeFinished" else "start"
        status = data.run_result.status if event == "finish" else None
        index, total = self._positions.get(node.unique_id, (None, None))
        try:
            assert self._progress is not None
            self._progress(NodeProgress(event, node.unique_id, node.node_name, status, index, total))
        except Exception:  # a broken progress display must not break the dbt run
            pass

    def text(self) -> str:
        return "\n".join(self._lines)

    def last_error(self) -> str | None:
        return self._errors[-1] if self._errors else None

    def finished_nodes(self) -> list[NodeResult]:
        return [node_result_from_event(data) for data in self._finished]


def project_fingerprint(root: Path) -> str:
    """A hash of every project file's path, mtime and size (dbt's own outputs excluded)."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in FINGERPRINT_SKIP and not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            digest.update(f"{os.path.relpath(path, root)}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()


def _selection(select: Sequence[str] | None, exclude: Sequence[str] | None) -> list[str]:
    args: list[str] = []
    if select:
        args += ["--select", *select]
    if exclude:
        args += ["--exclude", *exclude]
    return args


@contextmanager
def _project_context(project_dir: Path, env: Mapping[str, str]) -> Iterator[None]:
    """cwd = the project and extra env vars, for the duration of one dbt call (both are process-wide)."""
    try:
        previous_cwd: str | None = os.getcwd()
    except FileNotFoundError:
        previous_cwd = None
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    os.chdir(project_dir)
    try:
        yield
    finally:
        if previous_cwd is not None:
            with suppress(OSError):
                os.chdir(previous_cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
