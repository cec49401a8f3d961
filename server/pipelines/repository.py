"""Queries for pipelines, runs and task runs, scoped through server.core.tenancy."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.tenancy import get_scoped, scoped
from server.models import Pipeline, PipelineRun, TaskRun
from server.pipelines.errors import PipelineNotFound, RunNotFound, TaskRunNotFound

ACTIVE = ("queued", "running")


class PipelinesRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, org_id: str) -> list[Pipeline]:
        return list(self.session.scalars(scoped(select(Pipeline), Pipeline, org_id).order_by(Pipeline.name)))

    def get(self, org_id: str, pipeline_id: str) -> Pipeline:
        return get_scoped(self.session, Pipeline, pipeline_id, org_id, PipelineNotFound)

    def name_taken(self, org_id: str, name: str, other_than: str | None = None) -> bool:
        stmt = scoped(select(Pipeline.id), Pipeline, org_id).where(func.lower(Pipeline.name) == name.lower())
        return any(found != other_than for found in self.session.scalars(stmt))

    def recent_runs(self, org_id: str, pipeline_id: str, limit: int) -> builtins.list[PipelineRun]:
        stmt = scoped(select(PipelineRun), PipelineRun, org_id).where(PipelineRun.pipeline_id == pipeline_id)
        return list(self.session.scalars(stmt.order_by(PipelineRun.created_at.desc()).limit(limit)))

    def active_run(self, org_id: str, pipeline_id: str) -> PipelineRun | None:
        stmt = scoped(select(PipelineRun), PipelineRun, org_id).where(
            PipelineRun.pipeline_id == pipeline_id, PipelineRun.status.in_(ACTIVE)
        )
        return self.session.scalars(stmt).first()

    def runs(
        self,
        org_id: str,
        pipeline_id: str | None,
        statuses: builtins.list[str] | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[builtins.list[PipelineRun], int]:
        """Runs newest first, filtered by pipeline, status and creation time."""
        stmt = scoped(select(PipelineRun), PipelineRun, org_id)
        if pipeline_id:
            stmt = stmt.where(PipelineRun.pipeline_id == pipeline_id)
        if statuses:
            stmt = stmt.where(PipelineRun.status.in_(statuses))
        if since:
            stmt = stmt.where(PipelineRun.created_at >= since)
        if until:
            stmt = stmt.where(PipelineRun.created_at < until)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        ordered = stmt.order_by(PipelineRun.created_at.desc(), PipelineRun.id.desc())
        return list(self.session.scalars(ordered.limit(limit).offset(offset))), total

    def get_run(self, org_id: str, run_id: str) -> PipelineRun:
        return get_scoped(self.session, PipelineRun, run_id, org_id, RunNotFound)

    def task_runs(self, org_id: str, run_id: str) -> builtins.list[TaskRun]:
        stmt = scoped(select(TaskRun), TaskRun, org_id).where(TaskRun.run_id == run_id)
        return list(self.session.scalars(stmt.order_by(TaskRun.position)))

    def task_run(self, org_id: str, run_id: str, position: int) -> TaskRun:
        stmt = scoped(select(TaskRun), TaskRun, org_id).where(TaskRun.run_id == run_id, TaskRun.position == position)
        found = self.session.scalars(stmt).first()
        if found is None:
            raise TaskRunNotFound(f"This run has no task number {position}.")
        return found

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()


class SystemRepository:
    """Lookups by id for the scheduler and the run executor, which act for whichever org the row names."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def pipeline(self, pipeline_id: str) -> Pipeline | None:
        return self.session.get(Pipeline, pipeline_id)

    def run(self, run_id: str) -> PipelineRun | None:
        return self.session.get(PipelineRun, run_id)

    def task_runs(self, run_id: str) -> builtins.list[TaskRun]:
        return list(self.session.scalars(select(TaskRun).where(TaskRun.run_id == run_id).order_by(TaskRun.position)))

    def task_run(self, run_id: str, position: int) -> TaskRun | None:
        stmt = select(TaskRun).where(TaskRun.run_id == run_id, TaskRun.position == position)
        return self.session.scalars(stmt).first()

    def scheduled_pipelines(self) -> builtins.list[Pipeline]:
        return list(self.session.scalars(select(Pipeline).where(Pipeline.schedule_kind != "manual")))

    def active_runs(self) -> builtins.list[PipelineRun]:
        return list(self.session.scalars(select(PipelineRun).where(PipelineRun.status.in_(ACTIVE))))
