"""Pipelines: create and edit them (every task checked), run now, cancel, history, task logs."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pipelines.errors import PipelineError
from pipelines.runs import schedule as sched
from server.audit.service import AuditService
from server.core.deps import OrgContext
from server.models import Pipeline, PipelineRun, TaskRun
from server.models.base import utcnow
from server.pipelines import schemas
from server.pipelines.errors import InvalidPipeline, PipelineAlreadyRunning, PipelineNameTaken
from server.pipelines.repository import ACTIVE, PipelinesRepository
from server.pipelines.runtime import PipelineRuntime
from server.pipelines.scheduling import schedule_of
from server.pipelines.starting import check_tasks, start_run
from server.pipelines.tasks import RunContext, task_config

LOG_CHUNK = 64 * 1024
RECENT = 10


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round(((end or utcnow()) - start).total_seconds(), 3) if start else None


def run_out(run: PipelineRun) -> schemas.RunOut:
    out = schemas.RunOut.model_validate(run, from_attributes=True)
    out.duration_s = _seconds(run.started_at, run.finished_at)
    return out


def task_run_out(row: TaskRun) -> schemas.TaskRunOut:
    out = schemas.TaskRunOut.model_validate(row, from_attributes=True)
    out.duration_s = _seconds(row.started_at, row.finished_at)
    out.details = {k: v for k, v in (row.details or {}).items() if k != "spec"} or None
    return out


def _schedule_fields(body: schemas.ScheduleIn | None) -> dict[str, Any]:
    """The pipeline's schedule columns, checked; a manual pipeline keeps only its zone and policy."""
    if body is None:
        return {"schedule_kind": "manual", "schedule_time": None, "schedule_days": None, "schedule_cron": None}
    try:
        checked = sched.validate(sched.from_fields(body.kind, body.model_dump()))
    except PipelineError as err:
        raise InvalidPipeline(f"Schedule: {err}") from err
    return {
        "schedule_kind": checked.kind,
        "schedule_time": checked.time if checked.kind in ("daily", "weekly") else None,
        "schedule_days": list(checked.days) if checked.kind == "weekly" and checked.days else None,
        "schedule_cron": checked.cron_expression() if checked.kind == "cron" else None,
        "timezone": checked.timezone,
        "missed_policy": body.missed,
    }


class PipelineService:
    def __init__(self, session: Session, runtime: PipelineRuntime) -> None:
        self.session = session
        self.runtime = runtime
        self.repo = PipelinesRepository(session)

    def context(self, ctx: OrgContext) -> RunContext:
        r = self.runtime
        return RunContext(ctx, r.session_factory, r.settings, r.storage, r.workspaces, r.box)

    # --- pipelines ---------------------------------------------------------------------------------
    def list(self, ctx: OrgContext) -> builtins.list[schemas.PipelineOut]:
        return [self.out(ctx, p) for p in self.repo.list(ctx.org_id)]

    def get(self, ctx: OrgContext, pipeline_id: str) -> Pipeline:
        return self.repo.get(ctx.org_id, pipeline_id)

    def create(self, ctx: OrgContext, body: schemas.PipelineCreate, ip: str) -> Pipeline:
        name = self._free_name(ctx, body.name)
        tasks = [t.model_dump() for t in body.tasks]
        check_tasks(self.runtime.registry, tasks, self.context(ctx))
        pipeline = Pipeline(
            org_id=ctx.org_id,
            name=name,
            tasks=tasks,
            enabled=body.enabled,
            created_by_id=ctx.user.id,
            created_by_email=ctx.user.email,
            **_schedule_fields(body.schedule),
        )
        self.repo.add(pipeline)
        self._saved(ctx, pipeline, "pipeline.created", ip)
        return pipeline

    def update(self, ctx: OrgContext, pipeline_id: str, body: schemas.PipelineUpdate, ip: str) -> Pipeline:
        pipeline = self.repo.get(ctx.org_id, pipeline_id)
        if body.name is not None:
            pipeline.name = self._free_name(ctx, body.name, pipeline.id)
        if body.tasks is not None:
            tasks = [t.model_dump() for t in body.tasks]
            check_tasks(self.runtime.registry, tasks, self.context(ctx))
            pipeline.tasks = tasks
        if "schedule" in body.model_fields_set:
            for key, value in _schedule_fields(body.schedule).items():
                setattr(pipeline, key, value)
        if body.enabled is not None:
            pipeline.enabled = body.enabled
        self.session.flush()
        self._saved(ctx, pipeline, "pipeline.updated", ip)
        return pipeline

    def delete(self, ctx: OrgContext, pipeline_id: str, ip: str) -> None:
        pipeline = self.repo.get(ctx.org_id, pipeline_id)
        if self.repo.active_run(ctx.org_id, pipeline.id) is not None:
            raise PipelineAlreadyRunning(f"'{pipeline.name}' is running; cancel the run before deleting it.")
        self.session.delete(pipeline)
        self.session.flush()
        self._saved(ctx, pipeline, "pipeline.deleted", ip)

    def _free_name(self, ctx: OrgContext, name: str, other_than: str | None = None) -> str:
        name = name.strip()
        if not name:
            raise InvalidPipeline("Give the pipeline a name.")
        if self.repo.name_taken(ctx.org_id, name, other_than):
            raise PipelineNameTaken(f"There is already a pipeline called '{name}'; choose another name.")
        return name

    def _saved(self, ctx: OrgContext, pipeline: Pipeline, action: str, ip: str) -> None:
        AuditService(self.session).record(action, actor=ctx.user, org_id=ctx.org_id, target=pipeline.name, ip=ip)
        self.runtime.scheduler.sync_after_commit(self.session, pipeline.id)

    def out(self, ctx: OrgContext, pipeline: Pipeline) -> schemas.PipelineOut:
        """The pipeline as the page shows it: tasks in words, schedule, next run, the last runs."""
        context = self.context(ctx)
        tasks = [self._task_out(spec, context) for spec in pipeline.tasks]
        recent = self.repo.recent_runs(ctx.org_id, pipeline.id, RECENT)
        schedule, nxt, warnings = self._schedule_out(pipeline)
        return schemas.PipelineOut(
            id=pipeline.id,
            name=pipeline.name,
            tasks=tasks,
            schedule=schedule,
            enabled=pipeline.enabled,
            next_run_at=nxt,
            next_run_local=nxt.astimezone(sched.zone(pipeline.timezone)).strftime("%Y-%m-%d %H:%M %Z") if nxt else None,
            warnings=warnings,
            created_by_email=pipeline.created_by_email,
            created_at=pipeline.created_at,
            updated_at=pipeline.updated_at,
            last_run=run_out(recent[0]) if recent else None,
            recent_runs=[run_out(r) for r in recent],
        )

    def _task_out(self, spec: dict[str, Any], context: RunContext) -> schemas.TaskOut:
        try:
            kind = self.runtime.registry.get(spec["kind"])
            name = kind.describe(kind.parse(task_config(spec)), context)
        except PipelineError:
            name = spec["kind"]
        return schemas.TaskOut(**spec, name=name)

    def _schedule_out(
        self, pipeline: Pipeline
    ) -> tuple[schemas.ScheduleOut | None, datetime | None, builtins.list[str]]:
        if pipeline.schedule_kind == "manual":
            return None, None, []
        schedule, now = schedule_of(pipeline), datetime.now(UTC)
        out = schemas.ScheduleOut(
            kind=schedule.kind,
            time=schedule.time,
            days=list(schedule.days) if schedule.days else None,  # type: ignore[arg-type]
            cron=schedule.cron_expression(),
            timezone=schedule.timezone,
            missed=pipeline.missed_policy,  # type: ignore[arg-type]
            description=schedule.describe(),
        )
        nxt = sched.next_run(schedule, now) if pipeline.enabled else None
        return out, nxt, sched.dst_warnings(schedule, now)

    # --- runs --------------------------------------------------------------------------------------
    def run_now(self, ctx: OrgContext, pipeline_id: str, ip: str) -> PipelineRun:
        pipeline = self.repo.get(ctx.org_id, pipeline_id)
        run = start_run(self.session, self.runtime.starter, pipeline, self.context(ctx))
        AuditService(self.session).record(
            "pipeline.run", actor=ctx.user, org_id=ctx.org_id, target=pipeline.name, ip=ip
        )
        return run

    def cancel(self, ctx: OrgContext, run_id: str) -> PipelineRun:
        run = self.repo.get_run(ctx.org_id, run_id)
        if run.status in ACTIVE:
            run.cancel_requested = True
            self.session.flush()
            self.runtime.executor.cancel(run.id)
        return run

    def runs(
        self,
        ctx: OrgContext,
        pipeline_id: str | None,
        statuses: builtins.list[str] | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[builtins.list[PipelineRun], int]:
        if pipeline_id:
            self.repo.get(ctx.org_id, pipeline_id)  # another org's pipeline: 404, not an empty list
        return self.repo.runs(ctx.org_id, pipeline_id, statuses, since, until, limit, offset)

    def run_detail(self, ctx: OrgContext, run_id: str) -> schemas.RunDetail:
        run = self.repo.get_run(ctx.org_id, run_id)
        tasks = [task_run_out(t) for t in self.repo.task_runs(ctx.org_id, run.id)]
        return schemas.RunDetail(**run_out(run).model_dump(), tasks=tasks)

    def task_log(self, ctx: OrgContext, run_id: str, position: int, offset: int) -> schemas.TaskLog:
        """The task's log from byte `offset` on (at most 64 KB a call), and where to continue."""
        run = self.repo.get_run(ctx.org_id, run_id)
        row = self.repo.task_run(ctx.org_id, run.id, position)
        finished = row.status not in ACTIVE
        path = Path(row.log_path) if row.log_path else None
        if path is None or not path.exists():
            return schemas.TaskLog(text="", next_offset=offset, finished=finished)
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read(LOG_CHUNK)
        cut = data.rfind(b"\n") + 1 if len(data) == LOG_CHUNK and b"\n" in data else len(data)
        text = data[:cut].decode("utf-8", errors="replace")
        return schemas.TaskLog(text=text, next_offset=offset + cut, finished=finished and len(data) < LOG_CHUNK)

    def task_kinds(self) -> builtins.list[schemas.TaskKindOut]:
        return [
            schemas.TaskKindOut(
                kind=k.kind,
                name=k.display_name,
                available=k.available,
                config_schema=k.config_model.model_json_schema(),
            )
            for k in self.runtime.registry
        ]
