"""Jobs of an org: start one (one at a time per target), read, cancel."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.deps import OrgContext
from server.core.errors import Conflict, NotFound
from server.core.storage import OrgStorage
from server.core.tenancy import get_scoped, scoped
from server.jobs.runner import ACTIVE, JobFn, JobRunner
from server.jobs.schemas import JobOut
from server.models import Job
from server.models.base import utcnow


class JobNotFound(NotFound):
    pass


class AlreadyRunning(Conflict):
    pass


class JobService:
    def __init__(self, session: Session, runner: JobRunner, storage: OrgStorage) -> None:
        self.session = session
        self.runner = runner
        self.storage = storage

    def start(self, ctx: OrgContext, kind: str, target_id: str | None, label: str, fn: JobFn) -> Job:
        """Queue `fn`; a second job of the same kind on the same target while one runs is a 409."""
        running = self.session.scalars(
            scoped(select(Job), Job, ctx.org_id).where(
                Job.kind == kind, Job.target_id == target_id, Job.status.in_(ACTIVE)
            )
        ).first()
        if running is not None:
            who = running.created_by_email or "someone"
            since = running.started_at or running.created_at
            raise AlreadyRunning(
                f"{label} is already running (started by {who} at {since:%H:%M} UTC); wait for it or cancel it."
            )
        job = Job(
            org_id=ctx.org_id,
            kind=kind,
            target_id=target_id,
            created_by_id=ctx.user.id,
            created_by_email=ctx.user.email,
        )
        self.session.add(job)
        self.session.flush()
        # the job thread reads the row, so it must be committed before the job starts
        self.session.commit()
        self.runner.submit(job.id, self.log_path(ctx.org.slug, job.id), fn)
        return job

    def log_path(self, slug: str, job_id: str) -> Path:
        return self.storage.subdir(slug, "logs") / f"job-{job_id}.log"

    def get(self, ctx: OrgContext, job_id: str) -> Job:
        return get_scoped(self.session, Job, job_id, ctx.org_id, JobNotFound)

    def list(
        self, ctx: OrgContext, kind: str | None, target_id: str | None, limit: int, offset: int
    ) -> tuple[list[Job], int]:
        stmt = scoped(select(Job), Job, ctx.org_id)
        if kind:
            stmt = stmt.where(Job.kind == kind)
        if target_id:
            stmt = stmt.where(Job.target_id == target_id)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(stmt.order_by(Job.created_at.desc()).limit(limit).offset(offset)).all()
        return list(rows), total

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
