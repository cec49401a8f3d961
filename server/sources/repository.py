"""Queries for sources and uploads, scoped through server.core.tenancy."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from server.core.tenancy import get_scoped, scoped
from server.models import Job, Source, Upload
from server.sources.errors import SourceNotFound, UploadNotFound


@dataclass(frozen=True)
class SourceCounts:
    """A source with the sizes of its catalog and stream choice, counted by the database (the catalog stays there)."""

    source: Source
    stream_count: int | None
    selected_count: int | None


class SourcesRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, org_id: str) -> list[Source]:
        return list(self.session.scalars(scoped(select(Source), Source, org_id).order_by(Source.name)).all())

    def get(self, org_id: str, source_id: str) -> Source:
        return get_scoped(self.session, Source, source_id, org_id, SourceNotFound)

    def slug_taken(self, org_id: str, slug: str) -> bool:
        return (
            self.session.scalars(scoped(select(Source), Source, org_id).where(Source.slug == slug)).first() is not None
        )

    def upload(self, org_id: str, upload_id: str) -> Upload:
        return get_scoped(self.session, Upload, upload_id, org_id, UploadNotFound)

    def last_job(self, org_id: str, source_id: str) -> Job | None:
        stmt = scoped(select(Job), Job, org_id).where(Job.kind == "source_sync", Job.target_id == source_id)
        return self.session.scalars(stmt.order_by(Job.created_at.desc()).limit(1)).first()

    def running_sync(self, org_id: str, source_id: str) -> Job | None:
        """A sync of the source started by hand (a job) that is still queued or running."""
        from server.jobs.repository import ACTIVE

        stmt = scoped(select(Job), Job, org_id).where(
            Job.kind == "source_sync", Job.target_id == source_id, Job.status.in_(ACTIVE)
        )
        return self.session.scalars(stmt.limit(1)).first()

    def list_counted(self, org_id: str) -> builtins.list[SourceCounts]:
        """The org's sources without loading their catalogs (a catalog can hold thousands of columns)."""
        stmt = scoped(
            select(Source, func.json_array_length(Source.catalog), func.json_array_length(Source.streams)),
            Source,
            org_id,
        ).options(defer(Source.catalog), defer(Source.streams))
        rows = self.session.execute(stmt.order_by(Source.name)).all()
        return [SourceCounts(row[0], row[1], row[2]) for row in rows]

    def last_jobs(self, org_id: str, source_ids: builtins.list[str]) -> dict[str, Job]:
        """The newest sync job of each source, in one query."""
        newest = (
            scoped(select(Job.target_id, func.max(Job.created_at).label("at")), Job, org_id)
            .where(Job.kind == "source_sync", Job.target_id.in_(source_ids))
            .group_by(Job.target_id)
            .subquery()
        )
        stmt = scoped(select(Job), Job, org_id).join(
            newest, (Job.target_id == newest.c.target_id) & (Job.created_at == newest.c.at)
        )
        return {
            job.target_id: job for job in self.session.scalars(stmt.where(Job.kind == "source_sync")) if job.target_id
        }
