"""Notification and notification-setting bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.core.schemas import Page

Level = Literal["info", "warning", "error"]
Mode = Literal["failures", "all", "none"]


class NotificationOut(BaseModel):
    id: str
    level: Level
    title: str
    body: str
    run_id: str | None
    created_at: datetime
    read_at: datetime | None


NotificationPage = Page[NotificationOut]


class UnreadCount(BaseModel):
    unread: int


class NotificationSettings(BaseModel):
    """What this user hears about in this org."""

    mode: Mode = Field(default="failures", description="failures only, every finished run, or nothing")
    pipeline_ids: list[str] | None = Field(default=None, description="only these pipelines; null: all")
    email: bool = Field(default=True, description="also by email, when the server has SMTP set up")
