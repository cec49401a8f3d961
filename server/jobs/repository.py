"""Queries for jobs, scoped to one org through server.core.tenancy."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.tenancy import get_scoped, scoped
from server.jobs.errors import JobNotFound
from server.models import Job

ACTIVE = ("queued", "running")


class JobsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, org_id: str, job_id: str) -> Job:
        return get_scoped(self.session, Job, job_id, org_id, JobNotFound)

    def active(self, org_id: str, kind: str, target_id: str | None) -> Job | None:
        stmt = scoped(select(Job), Job, org_id).where(
            Job.kind == kind, Job.target_id == target_id, Job.status.in_(ACTIVE)
        )
        return self.session.scalars(stmt).first()

    def add(self, job: Job) -> Job:
        self.session.add(job)
        self.session.flush()
        return job

    def list(
        self, org_id: str, kind: str | None, target_id: str | None, limit: int, offset: int
    ) -> tuple[list[Job], int]:
        stmt = scoped(select(Job), Job, org_id)
        if kind:
            stmt = stmt.where(Job.kind == kind)
        if target_id:
            stmt = stmt.where(Job.target_id == target_id)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(stmt.order_by(Job.created_at.desc()).limit(limit).offset(offset)).all()
        return list(rows), total

    def latest(self, org_id: str, kind: str, target_id: str) -> Job | None:
        stmt = scoped(select(Job), Job, org_id).where(Job.kind == kind, Job.target_id == target_id)
        return self.session.scalars(stmt.order_by(Job.created_at.desc()).limit(1)).first()
