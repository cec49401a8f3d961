"""Run lock rows: taken by inserting a unique resource key, released by deleting the run's rows."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import PipelineRun, RunLock


class LocksRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def try_take(self, resource: str, org_id: str, run_id: str, owner_token: str) -> bool:
        """Insert the lock row in a savepoint; False when another run holds the resource."""
        try:
            with self.session.begin_nested():
                self.session.add(RunLock(resource=resource, org_id=org_id, run_id=run_id, owner_token=owner_token))
        except IntegrityError:
            return False
        return True

    def holder(self, resource: str) -> tuple[RunLock, PipelineRun] | None:
        stmt = select(RunLock, PipelineRun).join(PipelineRun, PipelineRun.id == RunLock.run_id)
        row = self.session.execute(stmt.where(RunLock.resource == resource)).first()
        return (row[0], row[1]) if row else None

    def release_run(self, run_id: str) -> None:
        self.session.execute(delete(RunLock).where(RunLock.run_id == run_id))

    def owners(self) -> list[str]:
        return list(self.session.scalars(select(RunLock.owner_token).distinct()))

    def release_owner(self, owner_token: str) -> None:
        self.session.execute(delete(RunLock).where(RunLock.owner_token == owner_token))
