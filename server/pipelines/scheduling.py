"""APScheduler 3 owned by exactly one process: the embedded server, or the holder of a Postgres advisory lock.

Jobs live in the app DB (SQLAlchemyJobStore, table `scheduler_jobs`), one per scheduled pipeline; the job
function is module-level and looks the pipeline up by id. A due fire goes through `PipelineJobExecutor`,
which applies the pipeline's missed-run policy with the injected clock and records what it did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from pipelines.runs import schedule as sched
from server.core.db import session_scope
from server.locks.errors import ResourceBusy
from server.models import Pipeline, PipelineRun
from server.models.runs import SCHEDULER_JOBS_TABLE
from server.pipelines.errors import InvalidPipeline
from server.pipelines.repository import SystemRepository
from server.pipelines.starting import start_run

log = logging.getLogger(__name__)
MISSED_AFTER = timedelta(seconds=60)  # a fire this late means the computer was asleep or off
LEADER_KEY = (0x44414C47, 1)  # pg advisory lock (class "DALG", 1): the process that schedules
ALIVE_CLASS = 0x44414C48  # pg advisory lock class for "this process token is alive"
RETRY_SECONDS = 30.0
_PENDING = "dalgo_pending_schedules"
Clock = Callable[[], datetime]

_SCHEDULERS: dict[str, PipelineScheduler] = {}  # scheduler id -> the scheduler whose jobs call `fire`


def job_id(pipeline_id: str) -> str:
    return f"pipeline:{pipeline_id}"


def fire(pipeline_id: str, *, scheduler_id: str = "", scheduled_for: datetime | None = None) -> None:
    """The job function (pickled by reference): start the pipeline's run, or record why it did not run."""
    owner = _SCHEDULERS.get(scheduler_id)
    if owner is not None:
        owner.fire(pipeline_id, scheduled_for or owner.clock())


class PipelineJobExecutor(BaseExecutor):
    """Hands each due fire, with the time it was due, to the job function; coalesced fires come as one."""

    def __init__(self, scheduler_id: str) -> None:
        super().__init__()
        self.scheduler_id = scheduler_id

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        try:
            for run_time in run_times[-1:]:  # never more than one run for one wake-up
                job.func(*job.args, scheduler_id=self.scheduler_id, scheduled_for=run_time)
        except Exception:
            log.exception("scheduled pipeline job %s", job.id)
        self._run_job_success(job.id, [])


def _sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class ProcessLocks:
    """Postgres advisory locks held on dedicated connections: scheduler ownership and process liveness."""

    def __init__(self, engine: Engine, token: str) -> None:
        self.engine = engine
        self.token = token
        self._leader: Any = None
        self._alive: Any = None

    def hold_alive(self) -> None:
        if not _sqlite(self.engine) and self._alive is None:
            self._alive = self._try(ALIVE_CLASS, _key(self.token))

    def is_alive(self, token: str) -> bool:
        """Whether the process named by `token` still runs (on SQLite only this process can)."""
        if token == self.token or _sqlite(self.engine):
            return token == self.token
        conn = self._try(ALIVE_CLASS, _key(token))
        if conn is None:
            return True
        conn.invalidate()  # we could take its lock: its process is gone (closing the session frees it again)
        return False

    def take_leadership(self) -> bool:
        if _sqlite(self.engine):
            return True
        if self._leader is None:
            self._leader = self._try(*LEADER_KEY)
        return self._leader is not None

    def release(self) -> None:
        for conn in (self._leader, self._alive):
            if conn is not None:
                conn.invalidate()  # really close the session (a pooled connection would keep the lock)
        self._leader = self._alive = None

    def _try(self, cls: int, key: int) -> Any:
        conn = self.engine.raw_connection()
        cur = conn.cursor()
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (cls, key))
        row = cur.fetchone()
        got = bool(row and row[0])
        conn.commit()
        if got:
            return conn
        conn.close()
        return None


def _key(token: str) -> int:
    return int(token[:8], 16) - 2**31


class PipelineScheduler:
    """One BackgroundScheduler per app DB; processes that cannot own it retry every RETRY_SECONDS."""

    def __init__(self, engine: Engine, runtime: Any, locks: ProcessLocks, clock: Clock | None = None) -> None:
        self.engine = engine
        self.runtime = runtime
        self.locks = locks
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.id = locks.token
        self._scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def owning(self) -> bool:
        return self._scheduler is not None

    def start(self, *, paused: bool = False) -> None:
        _SCHEDULERS[self.id] = self
        self._stop.clear()
        self._try_own(paused)
        self._watcher = threading.Thread(target=self._watch, name="dalgo-scheduler-watch", daemon=True)
        self._watcher.start()

    def _try_own(self, paused: bool = False) -> bool:
        if not self.locks.take_leadership():
            return False
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=SCHEDULER_JOBS_TABLE)},
            executors={"default": PipelineJobExecutor(self.id)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        scheduler.start(paused=paused)
        self._scheduler = scheduler
        self.reconcile()
        return True

    def _watch(self) -> None:
        """Now and then: a non-owner tries to take over (the owner's lock frees when its process dies);
        the owner picks up pipelines other processes saved."""
        while not self._stop.wait(RETRY_SECONDS):
            try:
                if self.owning:
                    self.reconcile()
                elif self._try_own():
                    self.runtime.recover()
            except Exception:  # a database hiccup: try again next time
                log.exception("scheduler upkeep")

    def shutdown(self) -> None:
        self._stop.set()
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        _SCHEDULERS.pop(self.id, None)

    def resume(self) -> None:
        if self._scheduler is not None:
            self._scheduler.resume()

    # --- jobs ----------------------------------------------------------------------------------------
    def reconcile(self) -> None:
        """Make the jobs match the pipelines (each process may have saved some while another owned the jobs)."""
        if self._scheduler is None:
            return
        with session_scope(self.runtime.session_factory) as session:
            wanted = {job_id(p.id): p for p in SystemRepository(session).scheduled_pipelines() if p.enabled}
            for job in self._scheduler.get_jobs():
                if job.id not in wanted:
                    job.remove()
            for pipeline in wanted.values():
                self._upsert(pipeline)

    def sync(self, pipeline_id: str) -> None:
        """Add, change or remove the pipeline's job after it was saved or deleted."""
        if self._scheduler is None:
            return
        with session_scope(self.runtime.session_factory) as session:
            pipeline = SystemRepository(session).pipeline(pipeline_id)
            if pipeline is None or not pipeline.enabled or pipeline.schedule_kind == "manual":
                if self._scheduler.get_job(job_id(pipeline_id)) is not None:
                    self._scheduler.remove_job(job_id(pipeline_id))
                return
            self._upsert(pipeline)

    def sync_after_commit(self, session: Session, pipeline_id: str) -> None:
        if _PENDING not in session.info:
            session.info[_PENDING] = []
            event.listen(session, "after_commit", _run_pending)
            event.listen(session, "after_rollback", _drop_pending)
        session.info[_PENDING].append(lambda: self.sync(pipeline_id))

    def _upsert(self, pipeline: Pipeline) -> None:
        assert self._scheduler is not None
        trigger = sched.trigger(schedule_of(pipeline))
        grace = None if pipeline.missed_policy == "catch_up_once" else int(MISSED_AFTER.total_seconds())
        current = self._scheduler.get_job(job_id(pipeline.id))
        if current is not None and repr(current.trigger) == repr(trigger) and current.misfire_grace_time == grace:
            return  # unchanged: keep its stored next run, so a run missed while off is still seen as missed
        self._scheduler.add_job(
            fire,
            trigger,
            args=[pipeline.id],
            id=job_id(pipeline.id),
            name=pipeline.name[:100],
            replace_existing=True,
            misfire_grace_time=grace,
            coalesce=True,
            max_instances=1,
        )

    def next_run_time(self, pipeline_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id(pipeline_id)) if self._scheduler else None
        return job.next_run_time if job is not None else None

    def set_next_run_time(self, pipeline_id: str, when: datetime) -> None:
        """Move a job's next fire (tests and benchmarks use it to stand for a computer that slept through it)."""
        assert self._scheduler is not None
        self._scheduler.modify_job(job_id(pipeline_id), next_run_time=when)

    def wake(self) -> None:
        if self._scheduler is not None:
            self._scheduler.wakeup()

    # --- one fire ------------------------------------------------------------------------------------
    def fire(self, pipeline_id: str, due: datetime) -> None:
        """Start the pipeline's run for `due`, or record a skipped run (missed and 'skip', or still running)."""
        now, due = self.clock(), due.astimezone(UTC)  # stored as UTC: SQLite keeps the wall time, not the zone
        with session_scope(self.runtime.session_factory) as session:
            pipeline = SystemRepository(session).pipeline(pipeline_id)
            if pipeline is None or not pipeline.enabled or pipeline.schedule_kind == "manual":
                return
            zone = sched.zone(pipeline.timezone)
            due_local, now_local = due.astimezone(zone).strftime("%H:%M"), now.astimezone(zone).strftime("%H:%M")
            late = now - due > MISSED_AFTER
            if late and pipeline.missed_policy == "skip":
                _record(session, pipeline, due, "skipped", f"missed {due_local} — skipped")
                return
            note = f"missed {due_local} — ran {now_local} on wake" if late else None
            context = self.runtime.context_for(pipeline.org_id, pipeline.created_by_id)
            try:
                with session.begin_nested():
                    start_run(
                        session,
                        self.runtime.starter,
                        pipeline,
                        context,
                        trigger="catch_up" if late else "schedule",
                        scheduled_for=due,
                        note=note,
                    )
            except ResourceBusy as err:
                _record(session, pipeline, due, "skipped", f"{due_local} — skipped: still running", cause=err.detail)
            except InvalidPipeline as err:
                _record(session, pipeline, due, "failed", f"{due_local} — could not start", cause=err.detail)


def schedule_of(pipeline: Pipeline) -> sched.Schedule:
    return sched.Schedule(
        kind=pipeline.schedule_kind,  # type: ignore[arg-type]
        timezone=pipeline.timezone,
        time=pipeline.schedule_time,
        days=tuple(pipeline.schedule_days) if pipeline.schedule_days else None,
        cron=pipeline.schedule_cron,
    )


def _record(
    session: Session, pipeline: Pipeline, due: datetime, status: str, note: str, cause: str | None = None
) -> None:
    now = datetime.now(UTC)
    session.add(
        PipelineRun(
            org_id=pipeline.org_id,
            pipeline_id=pipeline.id,
            pipeline_name=pipeline.name,
            trigger="schedule",
            scheduled_for=due,
            status=status,
            finished_at=now,
            note=note,
            cause=cause,
            hint="Check the pipeline's tasks, then run it by hand." if status == "failed" else None,
        )
    )


def _run_pending(session: Session) -> None:
    pending, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for call in pending:
        try:
            call()
        except Exception:  # the saved pipeline stands; its job is fixed by the next reconcile
            log.exception("updating a pipeline's schedule")


def _drop_pending(session: Session) -> None:
    session.info[_PENDING] = []
