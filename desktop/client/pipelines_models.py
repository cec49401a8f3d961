"""Response bodies of the pipelines and notifications routes as typed, frozen models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from desktop.client.models import Model

ACTIVE_RUN = ("queued", "running")


class TaskSpec(Model):
    """One task as the user set it up (the body the server accepts, and reads back with its name)."""

    kind: str
    source_id: str | None = None
    streams: list[str] | None = None
    select: list[str] | None = None
    on_failure: str = "stop"
    retries: int = 0
    name: str = ""

    def body(self) -> dict[str, Any]:
        """What POST/PATCH /pipelines takes for this task (the server names it)."""
        return self.model_dump(exclude={"name"})


class Schedule(Model):
    kind: str = "manual"
    time: str | None = None
    days: list[str] | None = None
    cron: str | None = None
    timezone: str = "UTC"
    missed: str = "catch_up_once"
    description: str = ""


class Run(Model):
    id: str
    pipeline_id: str
    pipeline_name: str = ""
    trigger: str = "manual"
    scheduled_for: datetime | None = None
    status: str
    created_by_email: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    cause: str | None = None
    hint: str | None = None
    note: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_RUN


class TaskRun(Model):
    position: int
    kind: str
    name: str
    status: str
    attempts: int = 0
    rows: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    error: str | None = None
    hint: str | None = None
    details: dict[str, Any] | None = None


class RunDetail(Run):
    tasks: list[TaskRun] = Field(default_factory=list)


class RunStarted(Model):
    run_id: str


class Pipeline(Model):
    id: str
    name: str
    tasks: list[TaskSpec] = Field(default_factory=list)
    schedule: Schedule | None = None
    enabled: bool = True
    next_run_at: datetime | None = None
    next_run_local: str | None = None
    warnings: list[str] = Field(default_factory=list)
    created_by_email: str | None = None
    created_at: datetime
    updated_at: datetime
    last_run: Run | None = None
    recent_runs: list[Run] = Field(default_factory=list)


class TaskLog(Model):
    text: str
    next_offset: int
    finished: bool


class TaskKind(Model):
    kind: str
    name: str
    available: bool = True
    config_schema: dict[str, Any] = Field(default_factory=dict)


class Notification(Model):
    id: str
    level: str = "info"
    title: str
    body: str = ""
    run_id: str | None = None
    created_at: datetime
    read_at: datetime | None = None


class UnreadCount(Model):
    unread: int


class NotificationSettings(Model):
    mode: str = "failures"
    pipeline_ids: list[str] | None = None
    email: bool = True
