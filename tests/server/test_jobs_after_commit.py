"""A job's thread starts only once the request that queued it has committed; a rolled-back request starts none."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.core.deps import OrgContext
from server.core.permissions import Role
from server.jobs.runner import JobContext
from server.jobs.service import JobService
from server.models import Job, Org, User
from tests.server.factories import Api


def _context(app: FastAPI, session: Any) -> OrgContext:
    with TestClient(app) as client:
        Api(client).setup()
    return OrgContext(org=session.scalars(select(Org)).one(), user=session.scalars(select(User)).one(), role=Role.admin)


def test_the_worker_finds_its_job_row_committed(app: FastAPI) -> None:
    seen: dict[str, Any] = {}
    done = threading.Event()

    def work(job: JobContext) -> dict[str, Any]:
        with app.state.session_factory() as other:  # another connection sees only committed rows
            row = other.get(Job, job.job_id)
            seen["status"] = row.status if row else None
        done.set()
        return {}

    with app.state.session_factory() as session:
        ctx = _context(app, session)
        JobService(session, app.state.jobs, app.state.storage).start(ctx, "test_kind", "t1", "A test", work)
        # the pool is created by the first hand-over: none yet means no worker could have looked for the row
        assert app.state.jobs._pool is None, "the job was handed to a worker before its row was committed"
        session.commit()
    assert done.wait(30), "the job never started after the commit"
    assert seen["status"] == "running"
    app.state.jobs.shutdown()


def test_a_rolled_back_request_starts_no_job(app: FastAPI) -> None:
    started = []
    with app.state.session_factory() as session:
        ctx = _context(app, session)
        job = JobService(session, app.state.jobs, app.state.storage).start(
            ctx, "test_kind", "t1", "A test", lambda job: started.append(job) or {}
        )
        job_id = job.id
        session.rollback()
        session.commit()  # a later commit of the same session must not start the dropped job either
    assert app.state.jobs._pool is None and started == []
    with app.state.session_factory() as session:
        assert session.get(Job, job_id) is None
