"""Run locks: one run per pipeline, one writer per source, visible to every server process."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.locks.errors import PipelineAlreadyRunning, ResourceBusy, SourceBusy
from server.locks.repository import LocksRepository
from server.models import PipelineRun


def pipeline_key(pipeline_id: str) -> str:
    return f"pipeline:{pipeline_id}"


def source_key(source_id: str) -> str:
    return f"source:{source_id}"


def _started(run: PipelineRun) -> str:
    who = run.created_by_email or ("the schedule" if run.trigger != "manual" else "someone")
    since = run.started_at or run.created_at
    return f"started by {who} at {since:%H:%M} UTC on {since:%d %b}"


class LockService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = LocksRepository(session)

    def take(self, resources: list[str], org_id: str, run_id: str, owner_token: str) -> None:
        """Take every resource for the run, or none: a held one raises a 409 naming who holds it."""
        for resource in resources:
            if not self.repo.try_take(resource, org_id, run_id, owner_token):
                self.release(run_id)
                raise self._busy(resource)

    def check_free(self, resource: str) -> None:
        """Raise the 409 when a running pipeline holds `resource` (a manual sync asks before it starts)."""
        if self.repo.holder(resource) is not None:
            raise self._busy(resource)

    def release(self, run_id: str) -> None:
        self.repo.release_run(run_id)
        self.session.flush()

    def owners(self) -> list[str]:
        return self.repo.owners()

    def release_owner(self, owner_token: str) -> None:
        self.repo.release_owner(owner_token)

    def _busy(self, resource: str) -> ResourceBusy:
        found = self.repo.holder(resource)
        if found is None:  # released between the insert and this read: tell the caller to try again
            return ResourceBusy("That was busy a moment ago; try again.")
        _lock, run = found
        if resource.startswith("pipeline:"):
            return PipelineAlreadyRunning(
                f"The pipeline '{run.pipeline_name}' is already running ({_started(run)}); "
                "wait for it to finish or cancel it."
            )
        return SourceBusy(
            f"This source is being synced by the pipeline '{run.pipeline_name}' ({_started(run)}); "
            "wait for that run to finish or cancel it."
        )
