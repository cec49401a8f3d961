"""Job bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from server.core.schemas import Page


class JobOut(BaseModel):
    id: str
    kind: str
    target_id: str | None
    status: str
    progress: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    error_hint: str | None
    created_by_email: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    elapsed_s: float | None = None


JobPage = Page[JobOut]


class JobStarted(BaseModel):
    job_id: str
