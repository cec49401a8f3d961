"""Checking a pipeline's tasks and starting a run (shared by Run now and the scheduler)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pipelines.errors import PipelineError
from pipelines.runs.registry import TaskRegistry
from server.locks.service import LockService, pipeline_key, source_key
from server.models import Pipeline, PipelineRun, TaskRun
from server.pipelines.errors import InvalidPipeline
from server.pipelines.executor import RunExecutor
from server.pipelines.repository import PipelinesRepository
from server.pipelines.tasks import RunContext, task_config


@dataclass
class Starter:
    """What starting a run needs: the registry to check tasks, the executor to queue it."""

    registry: TaskRegistry
    executor: RunExecutor


def check_tasks(registry: TaskRegistry, tasks: list[dict[str, Any]], context: RunContext) -> list[str]:
    """Each task's plain-words name; a 400 naming the task and what is wrong with it."""
    if not tasks:
        raise InvalidPipeline("A pipeline needs at least one task: add a sync, a transform or a data test.")
    names = []
    for number, spec in enumerate(tasks, start=1):
        if spec.get("kind") == "sync" and not spec.get("source_id"):
            raise InvalidPipeline(f"Task {number} (sync) does not say which source to sync: choose one.")
        try:
            kind = registry.get(str(spec.get("kind")))
            config = kind.parse(task_config(spec))
            kind.validate(config, context)
            names.append(kind.describe(config, context))
        except PipelineError as err:
            raise InvalidPipeline(f"Task {number}: {err}") from err
    return names


def start_run(
    session: Session,
    starter: Starter,
    pipeline: Pipeline,
    context: RunContext,
    *,
    trigger: str = "manual",
    scheduled_for: datetime | None = None,
    note: str | None = None,
) -> PipelineRun:
    """Check the tasks again, record the run and its tasks, take the locks, queue it after the commit."""
    names = check_tasks(starter.registry, list(pipeline.tasks), context)
    user = context.org.user if trigger == "manual" else None
    run = PipelineRun(
        org_id=pipeline.org_id,
        pipeline_id=pipeline.id,
        pipeline_name=pipeline.name,
        trigger=trigger,
        scheduled_for=scheduled_for,
        created_by_id=user.id if user is not None else None,
        created_by_email=user.email if user is not None else None,
        note=note,
        owner_token=starter.executor.token,
    )
    repo = PipelinesRepository(session)
    repo.add(run)
    for position, (spec, name) in enumerate(zip(pipeline.tasks, names, strict=True)):
        session.add(
            TaskRun(
                org_id=pipeline.org_id,
                run_id=run.id,
                position=position,
                kind=spec["kind"],
                name=name,
                details={"spec": spec},
            )
        )
    resources = [pipeline_key(pipeline.id)]
    resources += sorted({source_key(s["source_id"]) for s in pipeline.tasks if s.get("kind") == "sync"})
    LockService(session).take(resources, pipeline.org_id, run.id, starter.executor.token)
    starter.executor.submit_after_commit(session, run.id, pipeline.org_id)
    return run
