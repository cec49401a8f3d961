"""Pipeline, schedule, run and task-run bodies (the fixed contract's shapes, extended)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from server.core.schemas import Page

OnFailure = Literal["stop", "continue"]
ScheduleKind = Literal["manual", "daily", "weekly", "cron"]
MissedPolicy = Literal["catch_up_once", "skip"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RunStatus = Literal["queued", "running", "succeeded", "failed", "warned", "cancelled", "interrupted", "skipped"]
TaskStatus = Literal["queued", "running", "succeeded", "failed", "warned", "skipped", "cancelled"]


class TaskSpec(BaseModel):
    """One task as the user set it up; which fields matter depends on the kind."""

    kind: str = Field(description="sync | transform | test | warehouse_sync | chart_refresh (see GET /pipeline-tasks)")
    source_id: str | None = Field(default=None, description="sync: the source to sync")
    streams: list[str] | None = Field(default=None, description="sync: the tables to sync; default all chosen")
    select: list[str] | None = Field(default=None, description="transform/test: dbt selectors; default all")
    on_failure: OnFailure = Field(default="stop", description="stop the run, or continue with the next task")
    retries: int = Field(default=0, ge=0, le=10, description="extra attempts after a temporary failure")


class TaskOut(TaskSpec):
    name: str = Field(description="the task in plain words, e.g. 'Sync Kobo households'")


class ScheduleIn(BaseModel):
    """When the pipeline runs, in the user's own time zone; {cron, timezone} alone means a cron schedule."""

    kind: ScheduleKind | None = Field(default=None, description="default: cron when cron is given, else manual")
    time: str | None = Field(default=None, description="daily/weekly: local time HH:MM", examples=["09:00"])
    days: list[Weekday] | None = Field(default=None, description="weekly: the days")
    cron: str | None = Field(default=None, description="cron: 5-field expression in local time")
    timezone: str = Field(default="UTC", description="IANA zone, e.g. Africa/Nairobi")
    missed: MissedPolicy = Field(default="catch_up_once", description="a run missed while the computer was off")


class ScheduleOut(BaseModel):
    kind: ScheduleKind
    time: str | None
    days: list[Weekday] | None
    cron: str | None = Field(description="the effective cron expression, in local time")
    timezone: str
    missed: MissedPolicy
    description: str = Field(description="e.g. 'Every Monday and Thursday at 09:00 (Africa/Nairobi)'")


class PipelineCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    tasks: list[TaskSpec] = Field(default_factory=list)
    schedule: ScheduleIn | None = None
    enabled: bool = True


class PipelineUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    tasks: list[TaskSpec] | None = None
    schedule: ScheduleIn | None = None
    enabled: bool | None = None


class RunOut(BaseModel):
    id: str
    pipeline_id: str
    pipeline_name: str
    trigger: Literal["manual", "schedule", "catch_up"]
    scheduled_for: datetime | None
    status: RunStatus
    created_by_email: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None = None
    cause: str | None = Field(description="why it failed, in plain words")
    hint: str | None = Field(description="what to do next")
    note: str | None = Field(description="e.g. 'missed 09:00 — ran 10:42 on wake' or 'missed 09:00 — skipped'")


RunPage = Page[RunOut]


class TaskRunOut(BaseModel):
    position: int
    kind: str
    name: str
    status: TaskStatus
    attempts: int
    rows: int | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None = None
    error: str | None
    hint: str | None
    details: dict[str, Any] | None


class RunDetail(RunOut):
    tasks: list[TaskRunOut]


class RunStarted(BaseModel):
    run_id: str


class PipelineOut(BaseModel):
    id: str
    name: str
    tasks: list[TaskOut]
    schedule: ScheduleOut | None = Field(description="null: run by hand only")
    enabled: bool
    next_run_at: datetime | None = Field(description="UTC; null when manual or disabled")
    next_run_local: str | None = Field(description="the next run in the pipeline's zone, e.g. '2026-12-07 09:00 EAT'")
    warnings: list[str] = Field(default_factory=list, description="e.g. a local time that happens twice a year")
    created_by_email: str | None
    created_at: datetime
    updated_at: datetime
    last_run: RunOut | None = None
    recent_runs: list[RunOut] = Field(default_factory=list, description="the last runs, newest first (bar chart)")


PipelinePage = Page[PipelineOut]


class TaskLog(BaseModel):
    text: str
    next_offset: int = Field(description="pass it back as ?offset= to read what was written since")
    finished: bool = Field(description="the task has ended: no more lines will come")


class TaskKindOut(BaseModel):
    kind: str
    name: str
    available: bool
    config_schema: dict[str, Any]


TaskKindPage = Page[TaskKindOut]
