"""Pipeline runs in the server process: a bounded pool, one org's runs one after another, orgs in parallel."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from pipelines.errors import PipelineError
from pipelines.runs.engine import PlannedTask, RunEngine, RunOutcome, TaskUpdate
from pipelines.runs.registry import TaskRegistry
from server.core.db import session_scope
from server.core.redact import Redactor
from server.locks.service import LockService
from server.models import PipelineRun
from server.models.base import utcnow
from server.pipelines.repository import SystemRepository
from server.pipelines.tasks import RunContext, task_config

log = logging.getLogger(__name__)
_PENDING = "dalgo_pending_runs"
INTERRUPTED = "Dalgo stopped while this run was going (the app was closed or the computer restarted)."


class DbRecorder:
    """Writes task changes to the app DB and lines to the task's log file; picks up cancels from any process."""

    def __init__(
        self, session_factory: sessionmaker[Session], run_id: str, logs: Path, redact: Redactor, cancel: threading.Event
    ) -> None:
        self.session_factory = session_factory
        self.run_id = run_id
        self.logs = logs
        self.redact = redact
        self.cancel = cancel
        self._last_progress = 0.0

    def log_path(self, position: int) -> Path:
        return self.logs / f"run-{self.run_id}-{position}.log"

    def task(self, update: TaskUpdate) -> None:
        with session_scope(self.session_factory) as session:
            repo = SystemRepository(session)
            row = repo.task_run(self.run_id, update.position)
            run = repo.run(self.run_id)
            if row is None or run is None:
                return
            row.status = update.status
            row.attempts = update.attempts or row.attempts
            row.rows = update.rows if update.rows is not None else row.rows
            row.error, row.hint = update.error or row.error, update.hint or row.hint
            row.started_at = update.started_at or row.started_at
            row.finished_at = update.finished_at or row.finished_at
            if update.details:
                row.details = {**(row.details or {}), **self.redact.deep(update.details)}
            if update.status == "running":
                row.log_path = str(self.log_path(update.position))
            if run.cancel_requested:
                self.cancel.set()

    def log(self, position: int, line: str) -> None:
        with self.log_path(position).open("a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {self.redact(line)}\n")

    def progress(self, position: int, info: dict[str, Any]) -> None:
        """At most ~4 writes a second; each also reads whether someone asked to cancel."""
        now = time.monotonic()
        if now - self._last_progress < 0.25:
            return
        self._last_progress = now
        with session_scope(self.session_factory) as session:
            repo = SystemRepository(session)
            row, run = repo.task_run(self.run_id, position), repo.run(self.run_id)
            if row is not None:
                row.details = {**(row.details or {}), "progress": self.redact.deep(info)}
            if run is None or run.cancel_requested:
                self.cancel.set()


class RunExecutor:
    """Runs queued pipeline runs on a small thread pool; `token` names this process in run and lock rows."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: TaskRegistry,
        context_for: Callable[[str, str | None], RunContext],
        logs_dir: Callable[[str], Path],
        *,
        redact: Redactor | None = None,
        on_finished: Callable[[str], None] | None = None,
        max_workers: int = 4,
    ) -> None:
        self.session_factory = session_factory
        self.registry = registry
        self.context_for = context_for
        self.logs_dir = logs_dir
        self.redact = redact or Redactor(None)
        self.on_finished = on_finished or (lambda _run_id: None)
        self.max_workers = max_workers
        self.token = uuid.uuid4().hex
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self._waiting: dict[str, deque[str]] = {}
        self._cancels: dict[str, threading.Event] = {}

    # --- queueing ----------------------------------------------------------------------------------
    def submit(self, run_id: str, org_id: str) -> None:
        """Queue the run; it starts at once unless a run of the same org is going (then after it)."""
        with self._lock:
            self._cancels.setdefault(run_id, threading.Event())
            if org_id in self._busy:
                self._waiting.setdefault(org_id, deque()).append(run_id)
                return
            self._busy.add(org_id)
            self._start(org_id, run_id)

    def submit_after_commit(self, session: Session, run_id: str, org_id: str) -> None:
        """Queue the run once `session` commits (its thread reads the rows); a rollback drops it."""
        if _PENDING not in session.info:
            session.info[_PENDING] = []
            event.listen(session, "after_commit", _start_pending)
            event.listen(session, "after_rollback", _drop_pending)
        session.info[_PENDING].append(lambda: self.submit(run_id, org_id))

    def cancel(self, run_id: str) -> None:
        with self._lock:
            found = self._cancels.get(run_id)
        if found is not None:
            found.set()

    def shutdown(self) -> None:
        with self._lock:
            for cancel in self._cancels.values():
                cancel.set()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=False)

    def _start(self, org_id: str, run_id: str) -> None:
        if self._pool is None:  # started lazily, and again after a shutdown (an app served twice)
            self._pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="dalgo-run")
        self._pool.submit(self._work, org_id, run_id)

    def _work(self, org_id: str, run_id: str) -> None:
        try:
            self.execute(run_id)
        except Exception:  # never lose the org's queue to a bug
            log.exception("pipeline run %s", run_id)
        finally:
            with self._lock:
                self._cancels.pop(run_id, None)
                queue = self._waiting.get(org_id)
                if queue:
                    self._start(org_id, queue.popleft())
                else:
                    self._busy.discard(org_id)

    # --- one run -----------------------------------------------------------------------------------
    def execute(self, run_id: str) -> None:
        """Run a queued run to its end: tasks through the engine, then status, locks freed, notifications."""
        with self._lock:
            cancel = self._cancels.setdefault(run_id, threading.Event())
        engine = self._begin(run_id, cancel)
        if engine is None:
            return
        try:
            outcome = engine.run()
        except Exception as err:  # the engine itself broke: end the run visibly all the same
            log.exception("pipeline run %s", run_id)
            outcome = RunOutcome("failed")
            self._finish(run_id, outcome, cause=f"Dalgo could not finish this run: {err}")
            return
        self._finish(run_id, outcome)

    def _begin(self, run_id: str, cancel: threading.Event) -> RunEngine | None:
        with session_scope(self.session_factory) as session:
            repo = SystemRepository(session)
            run = repo.run(run_id)
            if run is None or run.status != "queued":
                return None
            if run.cancel_requested:
                cancel.set()
            run.status, run.started_at, run.owner_token = "running", utcnow(), self.token
            specs = [(row.position, row.name, (row.details or {}).get("spec", {})) for row in repo.task_runs(run_id)]
            org_id, user_id, slug_dir = run.org_id, run.created_by_id, self.logs_dir(run.org_id)
        try:
            context = self.context_for(org_id, user_id)
            plan = [self._plan(name, spec) for _position, name, spec in specs]
        except PipelineError as err:
            self._finish(run_id, RunOutcome("failed"), cause=err.message, hint=err.hint)
            return None
        recorder = DbRecorder(self.session_factory, run_id, slug_dir, self.redact, cancel)
        return RunEngine(run_id, plan, context, recorder, cancel)

    def _plan(self, name: str, spec: dict[str, Any]) -> PlannedTask:
        kind = self.registry.get(spec.get("kind", ""))
        return PlannedTask(
            kind, kind.parse(task_config(spec)), name, spec.get("on_failure", "stop"), int(spec.get("retries", 0))
        )

    def _finish(self, run_id: str, outcome: RunOutcome, cause: str | None = None, hint: str | None = None) -> None:
        with session_scope(self.session_factory) as session:
            run = SystemRepository(session).run(run_id)
            if run is None:
                return
            run.status, run.finished_at = outcome.status, utcnow()
            if outcome.failure is not None:
                cause, hint = outcome.failure.message, outcome.failure.hint
            elif outcome.status == "warned":
                cause, hint = "Data tests found problems.", "Open the test task to see which tests and rows."
            elif outcome.status == "cancelled":
                cause = "Cancelled; the task that was running left its tables as they were."
            run.cause, run.hint = self.redact(cause) if cause else None, self.redact(hint) if hint else None
            if cause and outcome.failure is None and outcome.status == "failed":
                _close_tasks(session, run, "cancelled", cause)
            LockService(session).release(run_id)
        try:
            self.on_finished(run_id)
        except Exception:  # a notification that cannot be written must not hide the run's result
            log.exception("notifying about run %s", run_id)

    # --- crash recovery ----------------------------------------------------------------------------
    def recover(self, is_alive: Callable[[str], bool]) -> list[str]:
        """Runs left active by a dead process become interrupted and their locks are freed; returns their ids."""
        done: list[str] = []
        with session_scope(self.session_factory) as session:
            locks = LockService(session)
            for run in SystemRepository(session).active_runs():
                if run.owner_token == self.token or (run.owner_token and is_alive(run.owner_token)):
                    continue
                run.status, run.finished_at = "interrupted", utcnow()
                run.cause, run.hint = (
                    INTERRUPTED,
                    "Run it again; the task that was running left its tables as they were.",
                )
                _close_tasks(session, run, "cancelled", "Interrupted: Dalgo stopped.")
                locks.release(run.id)
                done.append(run.id)
            for token in locks.owners():
                if token != self.token and not is_alive(token):
                    locks.release_owner(token)
        return done


def _close_tasks(session: Session, run: PipelineRun, status: str, error: str) -> None:
    for row in SystemRepository(session).task_runs(run.id):
        if row.status in ("queued", "running"):
            row.status, row.finished_at = status, utcnow()
            row.error = row.error or error


def _start_pending(session: Session) -> None:
    pending, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for start in pending:
        start()


def _drop_pending(session: Session) -> None:
    session.info[_PENDING] = []
