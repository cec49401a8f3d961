"""Shapes shared by every domain: a page of items."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A list answer: the items and how many there are in all ({"items": [...], "total": N})."""

    items: list[T]
    total: int


def page(items: list[T], total: int | None = None) -> Page[T]:
    """A page of `items`; `total` defaults to their number (lists that are not paged)."""
    return Page[T](items=items, total=len(items) if total is None else total)


class UsedIn(BaseModel):
    """A dashboard (or chart, KPI, alert) that shows a chart or uses a metric."""

    kind: str = Field(description="dashboard | chart | kpi | alert")
    id: str
    name: str
