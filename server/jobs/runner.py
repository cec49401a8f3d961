"""Background jobs in the server process: a small thread pool, progress in the app DB, cancellable."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session, sessionmaker

from pipelines.errors import Cancelled, PipelineError
from server.core.db import session_scope
from server.core.redact import Redactor
from server.jobs.repository import ACTIVE
from server.models import Job
from server.models.base import utcnow

log = logging.getLogger(__name__)
_PENDING = "dalgo_after_commit"


@dataclass
class JobContext:
    """What a job function gets: progress reporting, a cancel flag and a log file."""

    job_id: str
    log_path: Path
    _runner: JobRunner
    cancel_event: threading.Event = field(default_factory=threading.Event)
    _last_write: float = 0.0
    _progress: dict[str, Any] = field(default_factory=dict)

    def progress(self, info: dict[str, Any], *, force: bool = False) -> None:
        """Merge `info` into the job's progress; written to the DB at most ~4 times a second."""
        stream = info.get("stream")
        if stream is not None and stream != self._progress.get("stream"):
            # a new stream starts from zero: no stale total or row count from the previous one
            self._progress = {k: v for k, v in self._progress.items() if k not in ("rows", "total", "bytes", "table")}
        rows, seen = info.get("rows"), self._progress.get("rows")
        if isinstance(rows, int) and isinstance(seen, int) and rows < seen:
            info = {**info, "rows": seen}  # connector (read) and loader (loaded) both report: never go back
        self._progress.update(info)
        now = time.monotonic()
        if force or now - self._last_write > 0.25:
            self._last_write = now
            cancel = self._runner._write_progress(self.job_id, dict(self._progress))
            if cancel:
                self.cancel_event.set()

    def log(self, line: str) -> None:
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {self._runner.redact(line)}\n")


JobFn = Callable[[JobContext], dict[str, Any]]


class JobRunner:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        max_workers: int = 2,
        redact: Redactor | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.max_workers = max_workers
        self.redact = redact or Redactor(None)  # a hosted server keeps its folders out of what users read
        self._pool: ThreadPoolExecutor | None = None
        self._contexts: dict[str, JobContext] = {}
        self._lock = threading.Lock()

    def recover(self) -> None:
        """Jobs left running by a stopped server are failed, so nothing looks stuck forever."""
        with session_scope(self.session_factory) as session:
            session.execute(
                update(Job)
                .where(Job.status.in_(ACTIVE))
                .values(
                    status="failed",
                    error="The server stopped while this job ran.",
                    error_hint="Run it again.",
                    finished_at=utcnow(),
                )
            )

    def submit(self, job_id: str, log_path: Path, fn: JobFn) -> None:
        ctx = JobContext(job_id=job_id, log_path=log_path, _runner=self)
        with self._lock:
            self._contexts[job_id] = ctx
            if self._pool is None:  # started lazily, and again after a shutdown (an app served twice)
                self._pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="dalgo-job")
            self._pool.submit(self._run, ctx, fn)

    def submit_after_commit(self, session: Session, job_id: str, log_path: Path, fn: JobFn) -> None:
        """Start the job once `session` commits, so its thread finds the row; a rollback drops it."""
        if _PENDING not in session.info:
            session.info[_PENDING] = []
            event.listen(session, "after_commit", _start_pending)
            event.listen(session, "after_rollback", _drop_pending)
        session.info[_PENDING].append(lambda: self.submit(job_id, log_path, fn))

    def cancel(self, job_id: str) -> None:
        with self._lock:
            ctx = self._contexts.get(job_id)
        if ctx:
            ctx.cancel_event.set()

    def shutdown(self) -> None:
        with self._lock:
            for ctx in self._contexts.values():
                ctx.cancel_event.set()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, ctx: JobContext, fn: JobFn) -> None:
        self._finish(ctx.job_id, status="running", started_at=utcnow())
        ctx.log("started")
        try:
            result = fn(ctx)
        except Cancelled:
            ctx.log("cancelled by the user")
            self._finish(
                ctx.job_id,
                status="cancelled",
                error="Cancelled by the user; nothing was half-written.",
                progress=ctx._progress,
            )
        except PipelineError as err:
            ctx.log(f"failed: {err}")
            partial = getattr(err, "result", None)  # partial results (per-node dbt statuses) stay visible
            self._finish(
                ctx.job_id,
                status="failed",
                error=err.message,
                error_hint=err.hint,
                progress=ctx._progress,
                result=partial,
            )
        except Exception as err:  # an unexpected bug must still end the job visibly
            ctx.log("failed unexpectedly:\n" + traceback.format_exc())
            log.exception("job %s failed", ctx.job_id)
            self._finish(
                ctx.job_id,
                status="failed",
                error=f"Unexpected error: {err}",
                error_hint="See the job log for details.",
                progress=ctx._progress,
            )
        else:
            ctx.log("succeeded")
            self._finish(ctx.job_id, status="succeeded", result=result, progress=ctx._progress)
        finally:
            with self._lock:
                self._contexts.pop(ctx.job_id, None)

    def _finish(self, job_id: str, **values: Any) -> None:
        if values.get("status") in ("succeeded", "failed", "cancelled"):
            values["finished_at"] = utcnow()
        for key in ("error", "error_hint", "result"):
            if key in values:
                values[key] = self.redact.deep(values[key])
        with session_scope(self.session_factory) as session:
            job = session.get(Job, job_id)
            if job is not None:
                for key, value in values.items():
                    setattr(job, key, value)

    def _write_progress(self, job_id: str, progress: dict[str, Any]) -> bool:
        """Store progress; returns True when someone asked (maybe from another process) to cancel."""
        with session_scope(self.session_factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                return True
            job.progress = progress
            return bool(job.cancel_requested)


def _start_pending(session: Session) -> None:
    pending, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for start in pending:
        start()


def _drop_pending(session: Session) -> None:
    session.info[_PENDING] = []
