"""Pipeline routes: CRUD, run now, cancel, run history, run detail and task log tails (HTTP only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi import Path as PathParam

from server.core.deps import OrgContext, SessionDep, client_ip, require
from server.core.errors import ERROR_RESPONSES
from server.core.paging import MAX_OFFSET, Offset
from server.core.permissions import Permission
from server.pipelines import schemas
from server.pipelines.service import PipelineService, run_out

router = APIRouter(tags=["pipelines"], responses=ERROR_RESPONSES)
Read = Annotated[OrgContext, Depends(require(Permission.pipelines_read))]
Write = Annotated[OrgContext, Depends(require(Permission.pipelines_write))]
Run = Annotated[OrgContext, Depends(require(Permission.pipelines_run))]
Limit = Annotated[int, Query(ge=1, le=200)]


def pipeline_service(request: Request, session: SessionDep) -> PipelineService:
    return PipelineService(session, request.app.state.pipelines)


ServiceDep = Annotated[PipelineService, Depends(pipeline_service)]


@router.get("/pipeline-tasks", operation_id="pipelines-list_task_kinds")
def list_task_kinds(_ctx: Read, service: ServiceDep) -> schemas.TaskKindPage:
    items = service.task_kinds()
    return schemas.TaskKindPage(items=items, total=len(items))


@router.get("/pipelines", operation_id="pipelines-list_pipelines")
def list_pipelines(ctx: Read, service: ServiceDep) -> schemas.PipelinePage:
    items = service.list(ctx)
    return schemas.PipelinePage(items=items, total=len(items))


@router.post("/pipelines", status_code=status.HTTP_201_CREATED, operation_id="pipelines-create_pipeline")
def create_pipeline(
    body: schemas.PipelineCreate, request: Request, ctx: Write, service: ServiceDep
) -> schemas.PipelineOut:
    return service.out(ctx, service.create(ctx, body, client_ip(request)))


@router.get("/pipelines/{pipeline_id}", operation_id="pipelines-get_pipeline")
def get_pipeline(pipeline_id: str, ctx: Read, service: ServiceDep) -> schemas.PipelineOut:
    return service.out(ctx, service.get(ctx, pipeline_id))


@router.patch("/pipelines/{pipeline_id}", operation_id="pipelines-update_pipeline")
def update_pipeline(
    pipeline_id: str, body: schemas.PipelineUpdate, request: Request, ctx: Write, service: ServiceDep
) -> schemas.PipelineOut:
    return service.out(ctx, service.update(ctx, pipeline_id, body, client_ip(request)))


@router.delete(
    "/pipelines/{pipeline_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="pipelines-delete_pipeline"
)
def delete_pipeline(pipeline_id: str, request: Request, ctx: Write, service: ServiceDep) -> Response:
    service.delete(ctx, pipeline_id, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/pipelines/{pipeline_id}/run", status_code=status.HTTP_202_ACCEPTED, operation_id="pipelines-run_pipeline"
)
def run_pipeline(pipeline_id: str, request: Request, ctx: Run, service: ServiceDep) -> schemas.RunStarted:
    return schemas.RunStarted(run_id=service.run_now(ctx, pipeline_id, client_ip(request)).id)


@router.get("/pipelines/{pipeline_id}/runs", operation_id="pipelines-list_pipeline_runs")
def list_pipeline_runs(
    pipeline_id: str,
    ctx: Read,
    service: ServiceDep,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> schemas.RunPage:
    rows, total = service.runs(ctx, pipeline_id, status_, since, until, limit, offset)
    return schemas.RunPage(items=[run_out(r) for r in rows], total=total)


@router.get("/pipeline-runs", operation_id="pipelines-list_runs")
def list_runs(
    ctx: Read,
    service: ServiceDep,
    pipeline_id: str | None = None,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> schemas.RunPage:
    rows, total = service.runs(ctx, pipeline_id, status_, since, until, limit, offset)
    return schemas.RunPage(items=[run_out(r) for r in rows], total=total)


@router.get("/pipeline-runs/{run_id}", operation_id="pipelines-get_run")
def get_run(run_id: str, ctx: Read, service: ServiceDep) -> schemas.RunDetail:
    return service.run_detail(ctx, run_id)


@router.post("/pipeline-runs/{run_id}/cancel", operation_id="pipelines-cancel_run")
def cancel_run(run_id: str, ctx: Run, service: ServiceDep) -> schemas.RunDetail:
    service.cancel(ctx, run_id)
    return service.run_detail(ctx, run_id)


@router.get("/pipeline-runs/{run_id}/tasks/{position}/log", operation_id="pipelines-get_task_log")
def get_task_log(
    run_id: str,
    position: Annotated[int, PathParam(ge=0, le=10_000)],
    ctx: Read,
    service: ServiceDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> schemas.TaskLog:
    return service.task_log(ctx, run_id, position, offset)
