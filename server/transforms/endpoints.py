"""Transform routes: dbt models, runs and tests as jobs, lineage, import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import FileResponse

from server.core.deps import OrgContext, SessionDep, SettingsDep, client_ip, require
from server.core.errors import ERROR_RESPONSES
from server.core.permissions import Permission
from server.core.schemas import Page
from server.jobs.endpoints import JobServiceDep
from server.jobs.schemas import JobStarted
from server.transforms.schemas import (
    ImportReport,
    ImportRequest,
    Lineage,
    ModelOut,
    ModelSummary,
    RunRequest,
    SqlModel,
    SqlModelUpdate,
)
from server.transforms.service import TransformService

router = APIRouter(prefix="/transforms", tags=["transforms"], responses=ERROR_RESPONSES)
ReadT = Annotated[OrgContext, Depends(require(Permission.transforms_read))]
WriteT = Annotated[OrgContext, Depends(require(Permission.transforms_write))]
RunT = Annotated[OrgContext, Depends(require(Permission.transforms_run))]


def transform_service(request: Request, session: SessionDep, settings: SettingsDep) -> TransformService:
    return TransformService(session, settings, request.app.state.storage, request.app.state.workspaces)


ServiceDep = Annotated[TransformService, Depends(transform_service)]


_PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}, "description": "The graph."}
}


@router.get("/models", operation_id="transforms-list_models")
def list_models(ctx: ReadT, service: ServiceDep) -> Page[ModelSummary]:
    items = [ModelSummary(**m) for m in service.list_models(ctx)]
    return Page(items=items, total=len(items))


@router.post("/models", status_code=status.HTTP_201_CREATED, operation_id="transforms-create_sql_model")
def create_sql_model(body: SqlModel, request: Request, ctx: WriteT, service: ServiceDep) -> ModelOut:
    return _model(service.write_sql_model(ctx, body.name, body.sql, replace=False, ip=client_ip(request)))


@router.get("/models/{name}", operation_id="transforms-get_model")
def get_model(name: str, ctx: ReadT, service: ServiceDep) -> ModelOut:
    return _model(service.read_model(ctx, name))


@router.put("/models/{name}", operation_id="transforms-update_sql_model")
def update_sql_model(name: str, body: SqlModelUpdate, request: Request, ctx: WriteT, service: ServiceDep) -> ModelOut:
    return _model(service.write_sql_model(ctx, name, body.sql, replace=True, ip=client_ip(request)))


@router.delete("/models/{name}", status_code=status.HTTP_204_NO_CONTENT, operation_id="transforms-delete_model")
def delete_model(name: str, request: Request, ctx: WriteT, service: ServiceDep) -> Response:
    service.delete_model(ctx, name, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/run", status_code=status.HTTP_202_ACCEPTED, operation_id="transforms-run")
def run(ctx: RunT, service: ServiceDep, jobs: JobServiceDep, body: RunRequest | None = None) -> JobStarted:
    return JobStarted(job_id=service.start(ctx, "run", body.select if body else None, jobs).id)


@router.post("/test", status_code=status.HTTP_202_ACCEPTED, operation_id="transforms-test")
def test(ctx: RunT, service: ServiceDep, jobs: JobServiceDep, body: RunRequest | None = None) -> JobStarted:
    return JobStarted(job_id=service.start(ctx, "test", body.select if body else None, jobs).id)


@router.get("/lineage", operation_id="transforms-lineage")
def lineage(ctx: ReadT, service: ServiceDep, node: str | None = None) -> Lineage:
    return Lineage(**service.lineage(ctx, node))


@router.get("/lineage.png", response_class=FileResponse, responses=_PNG, operation_id="transforms-lineage_png")
def lineage_png(ctx: ReadT, service: ServiceDep, node: str | None = None) -> FileResponse:
    return FileResponse(service.lineage_png(ctx, node), media_type="image/png")


@router.post("/import", operation_id="transforms-import_project")
def import_project(body: ImportRequest, request: Request, ctx: WriteT, service: ServiceDep) -> ImportReport:
    return ImportReport(**service.import_project(ctx, body.path, client_ip(request)))


def _model(found: dict[str, Any]) -> ModelOut:
    return ModelOut(**found)
