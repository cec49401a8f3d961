"""Jobs of an org: start one (one at a time per target), read, cancel."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from server.core.deps import OrgContext
from server.core.storage import OrgStorage
from server.jobs.errors import AlreadyRunning, JobNotFound
from server.jobs.repository import ACTIVE, JobsRepository
from server.jobs.runner import JobFn, JobRunner
from server.jobs.schemas import JobOut
from server.models import Job
from server.models.base import utcnow

__all__ = ["AlreadyRunning", "JobNotFound", "JobService", "job_out"]


class JobService:
    def __init__(self, session: Session, runner: JobRunner, storage: OrgStorage) -> None:
        self.session = session
        self.runner = runner
        self.storage = storage
        self._repo = JobsRepository(session)

    def start(self, ctx: OrgContext, kind: str, target_id: str | None, label: str, fn: JobFn) -> Job:
        """Queue `fn` to run once the request commits; a second job of the same kind on the same target is a 409."""
        running = self._repo.active(ctx.org_id, kind, target_id)
        if running is not None:
            who = running.created_by_email or "someone"
            since = running.started_at or running.created_at
            raise AlreadyRunning(
                f"{label} is already running (started by {who} at {since:%H:%M} UTC); wait for it or cancel it."
            )
        job = self._repo.add(
            Job(
                org_id=ctx.org_id,
                kind=kind,
                target_id=target_id,
                created_by_id=ctx.user.id,
                created_by_email=ctx.user.email,
            )
        )
        # the job thread reads the row: it starts after the request's transaction commits, never before
        self.runner.submit_after_commit(self.session, job.id, self.log_path(ctx.org.slug, job.id), fn)
        return job

    def log_path(self, slug: str, job_id: str) -> Path:
        return self.storage.subdir(slug, "logs") / f"job-{job_id}.log"

    def get(self, ctx: OrgContext, job_id: str) -> Job:
        return self._repo.get(ctx.org_id, job_id)

    def list(
        self, ctx: OrgContext, kind: str | None, target_id: str | None, limit: int, offset: int
    ) -> tuple[list[Job], int]:
        return self._repo.list(ctx.org_id, kind, target_id, limit, offset)

    def latest(self, ctx: OrgContext, kind: str, target_id: str) -> Job | None:
        return self._repo.latest(ctx.org_id, kind, target_id)

    def cancel(self, ctx: OrgContext, job_id: str) -> Job:
        job = self.get(ctx, job_id)
        if job.status in ACTIVE:
            job.cancel_requested = True
            self.session.flush()
            self.runner.cancel(job.id)
        return job

    def read_log(self, ctx: OrgContext, job_id: str) -> str:
        job = self.get(ctx, job_id)
        path = self.log_path(ctx.org.slug, job.id)
        return path.read_text(encoding="utf-8") if path.exists() else ""


def job_out(job: Job) -> JobOut:
    out = JobOut.model_validate(job, from_attributes=True)
    if job.started_at:
        out.elapsed_s = round(((job.finished_at or utcnow()) - job.started_at).total_seconds(), 3)
    return out
