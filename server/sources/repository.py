"""Queries for sources and uploads, scoped through server.core.tenancy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.tenancy import get_scoped, scoped
from server.models import Job, Source, Upload
from server.sources.errors import SourceNotFound, UploadNotFound


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
