"""The one place tenant rows are filtered: every org-scoped query goes through `scoped`/`get_scoped`."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select as _Select

from server.core.errors import NotFound

T = TypeVar("T")


S = TypeVar("S", bound=_Select)


def scoped(stmt: S, model: Any, org_id: str) -> S:
    """Restrict a SELECT to one org's rows."""
    return stmt.where(model.org_id == org_id)


def get_scoped(session: Session, model: type[T], row_id: str, org_id: str, not_found: type[NotFound] = NotFound) -> T:
    """Fetch a row of this org by id; another org's row answers 404 exactly like a missing one."""
    stmt = scoped(select(model), model, org_id).where(model.id == row_id)  # type: ignore[attr-defined]
    row = session.scalars(stmt).first()
    if row is None:
        label = getattr(model, "__label__", model.__name__.lower())
        raise not_found(f"No {label} with id {row_id} in this organisation.")
    return row
