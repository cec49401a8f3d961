"""Audit event bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventOut(BaseModel):
    id: str
    action: str
    actor_email: str | None
    target: str | None
    detail: dict[str, Any]
    ip: str | None
    created_at: datetime
