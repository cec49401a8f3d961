"""Pipelines, their runs and task runs, run locks, notifications and notification settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, IdMixin, UTCDateTime, utcnow


class Pipeline(IdMixin, Base):
    """Ordered tasks and a schedule kept as the user entered it: IANA zone + local time, days or cron."""

    __tablename__ = "pipelines"
    __label__ = "pipeline"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_pipelines_org_name"),)

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # [{kind, source_id?, streams?, select?, on_failure: stop|continue, retries}, ...] in run order
    tasks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    schedule_kind: Mapped[str] = mapped_column(String(10), default="manual")  # manual | daily | weekly | cron
    schedule_time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # local "HH:MM"
    schedule_days: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # ["mon", "thu"]
    schedule_cron: Mapped[str | None] = mapped_column(String(120), nullable=True)  # local cron expression
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    missed_policy: Mapped[str] = mapped_column(String(20), default="catch_up_once")  # catch_up_once | skip
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_by_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PipelineRun(IdMixin, Base):
    """One run of a pipeline: who or what started it, when it was due, how it ended and why."""

    __tablename__ = "pipeline_runs"
    __label__ = "pipeline run"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"), index=True)
    pipeline_name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(12), default="manual")  # manual | schedule | catch_up
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_by_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    hint: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "missed 09:00 — ran 10:42 on wake"
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_token: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the process executing it


class TaskRun(IdMixin, Base):
    """One task of a run: status, attempts, rows, timing, its log file and the error in plain words."""

    __tablename__ = "task_runs"
    __label__ = "task run"
    __table_args__ = (UniqueConstraint("run_id", "position", name="uq_task_runs_run_position"),)

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    log_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    hint: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RunLock(IdMixin, Base):
    """A resource held by a running pipeline ("pipeline:<id>", "source:<id>"): a row, so every process sees it."""

    __tablename__ = "run_locks"
    __label__ = "run lock"

    resource: Mapped[str] = mapped_column(String(120), unique=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    owner_token: Mapped[str] = mapped_column(String(64), index=True)


class Notification(IdMixin, Base):
    """A message for one user in one org (a run failed or finished); read_at set when they read it."""

    __tablename__ = "notifications"
    __label__ = "notification"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="SET NULL"), nullable=True)
    level: Mapped[str] = mapped_column(String(10), default="info")  # info | warning | error
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationSetting(IdMixin, Base):
    """What one user wants to hear about in one org: failures only, every run, or nothing; which pipelines."""

    __tablename__ = "notification_settings"
    __label__ = "notification setting"
    __table_args__ = (UniqueConstraint("org_id", "user_id", name="uq_notification_settings_org_user"),)

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(10), default="failures")  # failures | all | none
    pipeline_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: every pipeline
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


# APScheduler's SQLAlchemyJobStore table, declared here so the migrations own it (same columns as the store's).
SCHEDULER_JOBS_TABLE = "scheduler_jobs"
scheduler_jobs = Table(
    SCHEDULER_JOBS_TABLE,
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
