"""Queries of the transforms domain: the org's recipes by model name and its latest dbt jobs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.tenancy import scoped
from server.models import Job, RecipeRow


class TransformsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def recipes_by_model(self, org_id: str) -> dict[str, RecipeRow]:
        rows = self.session.scalars(scoped(select(RecipeRow), RecipeRow, org_id)).all()
        return {r.model_name: r for r in rows}

    def recent_jobs_with_results(self, org_id: str, kinds: list[str], limit: int = 20) -> list[Job]:
        stmt = (
            scoped(select(Job), Job, org_id)
            .where(Job.kind.in_(kinds), Job.result.is_not(None))
            .order_by(Job.created_at.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))
