"""Queries for recipes, scoped to one org through server.core.tenancy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.tenancy import get_scoped, scoped
from server.models import Job, RecipeRow
from server.recipes.errors import RecipeNotFound


class RecipesRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, org_id: str) -> list[RecipeRow]:
        return list(self.session.scalars(scoped(select(RecipeRow), RecipeRow, org_id).order_by(RecipeRow.name)).all())

    def get(self, org_id: str, recipe_id: str) -> RecipeRow:
        return get_scoped(self.session, RecipeRow, recipe_id, org_id, RecipeNotFound)

    def by_model_name(self, org_id: str, model_name: str) -> RecipeRow | None:
        stmt = scoped(select(RecipeRow), RecipeRow, org_id).where(RecipeRow.model_name == model_name)
        return self.session.scalars(stmt).first()

    def add(self, row: RecipeRow) -> RecipeRow:
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: RecipeRow) -> None:
        self.session.delete(row)

    def data_version(self, org_id: str) -> str:
        """When the org's data last changed (its newest succeeded job): preview caches key on it; '' if never."""
        stmt = (
            scoped(select(Job.finished_at), Job, org_id)
            .where(Job.status == "succeeded")
            .order_by(Job.finished_at.desc())
            .limit(1)
        )
        latest = self.session.scalar(stmt)
        return latest.isoformat() if latest else ""
