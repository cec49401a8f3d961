"""Job routes: poll status and progress, cancel, read the log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from server.core.deps import OrgContext, SessionDep, require
from server.core.errors import ERROR_RESPONSES, ERRORS_AS_JSON
from server.core.paging import Offset
from server.core.permissions import Permission
from server.jobs.schemas import JobOut, JobPage
from server.jobs.service import JobService, job_out

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=ERROR_RESPONSES)
ReadJobs = Annotated[OrgContext, Depends(require(Permission.jobs_read))]


def job_service(request: Request, session: SessionDep) -> JobService:
    return JobService(session, request.app.state.jobs, request.app.state.storage)


JobServiceDep = Annotated[JobService, Depends(job_service)]


@router.get("", operation_id="jobs-list_jobs")
def list_jobs(
    ctx: ReadJobs,
    service: JobServiceDep,
    kind: str | None = None,
    target_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> JobPage:
    rows, total = service.list(ctx, kind, target_id, limit, offset)
    return JobPage(items=[job_out(j) for j in rows], total=total)


@router.get("/{job_id}", operation_id="jobs-get_job")
def get_job(job_id: str, ctx: ReadJobs, service: JobServiceDep) -> JobOut:
    return job_out(service.get(ctx, job_id))


@router.get(
    "/{job_id}/log",
    response_class=PlainTextResponse,
    responses={
        **ERRORS_AS_JSON,
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "The log."},
    },
    operation_id="jobs-get_log",
)
def get_job_log(job_id: str, ctx: ReadJobs, service: JobServiceDep) -> str:
    return service.read_log(ctx, job_id)


@router.post("/{job_id}/cancel", operation_id="jobs-cancel_job")
def cancel_job(
    job_id: str, ctx: Annotated[OrgContext, Depends(require(Permission.jobs_cancel))], service: JobServiceDep
) -> JobOut:
    return job_out(service.cancel(ctx, job_id))
