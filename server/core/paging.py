"""Bounded paging parameters: numbers past what a database can hold answer 422, not 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 10**12  # far beyond any real list, far below SQLite's and Postgres's 2^63 integer limit

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip (at most 10^12)")]
