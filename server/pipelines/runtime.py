"""Everything pipelines need for the life of the server: task registry, run executor, scheduler, recovery."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipelines.errors import NotFoundError
from server.core.config import Settings
from server.core.db import session_scope
from server.core.deps import OrgContext
from server.core.permissions import Role
from server.core.redact import Redactor
from server.core.security import SecretBox
from server.core.storage import OrgStorage
from server.models import Org, User
from server.notifications.service import NotificationService
from server.pipelines.executor import RunExecutor
from server.pipelines.scheduling import Clock, PipelineScheduler, ProcessLocks
from server.pipelines.starting import Starter
from server.pipelines.tasks import RunContext, build_registry
from server.transforms.workspace import Workspaces

log = logging.getLogger(__name__)


class PipelineRuntime:
    """Built once per app; `start` recovers runs a dead process left and starts (or waits to own) the scheduler."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        session_factory: sessionmaker[Session],
        storage: OrgStorage,
        workspaces: Workspaces,
        box: SecretBox,
        *,
        redact: Redactor | None = None,
        clock: Clock | None = None,
        max_workers: int = 4,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.storage = storage
        self.workspaces = workspaces
        self.box = box
        self.registry = build_registry()
        self.executor = RunExecutor(
            session_factory,
            self.registry,
            self.context_for,
            self.logs_dir,
            redact=redact,
            on_finished=self.notify,
            max_workers=max_workers,
        )
        self.starter = Starter(self.registry, self.executor)
        self.locks = ProcessLocks(engine, self.executor.token)
        self.scheduler = PipelineScheduler(engine, self, self.locks, clock)

    def start(self, *, schedule: bool = True) -> None:
        self.locks.hold_alive()
        self.recover()
        if schedule:
            self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown()
        self.executor.shutdown()
        self.locks.release()

    def recover(self) -> list[str]:
        """Runs left running by a process that is gone become interrupted; their locks are freed."""
        return self.executor.recover(self.locks.is_alive)

    def context_for(self, org_id: str, user_id: str | None) -> RunContext:
        """The org a run acts for; a scheduled run acts as the pipeline's creator, or as the scheduler."""
        with session_scope(self.session_factory) as session:
            org = session.get(Org, org_id)
            if org is None:
                raise NotFoundError("The organisation of this pipeline no longer exists.")
            user = session.get(User, user_id) if user_id else None
            actor = user or User(email="scheduler@dalgo.local", password_hash="!")  # never stored
            ctx = OrgContext(org=org, user=actor, role=Role.admin)
        return RunContext(ctx, self.session_factory, self.settings, self.storage, self.workspaces, self.box)

    def logs_dir(self, org_id: str) -> Path:
        with session_scope(self.session_factory) as session:
            org = session.get(Org, org_id)
            slug = org.slug if org is not None else "_unknown"
        return self.storage.subdir(slug, "logs")

    def notify(self, run_id: str) -> None:
        with session_scope(self.session_factory) as session:
            NotificationService(session, self.settings).notify_run(run_id)
