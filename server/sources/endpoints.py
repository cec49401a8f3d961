"""Connector catalogue, uploads and sources (HTTP only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status

from server.core.deps import OrgContext, SessionDep, SettingsDep, client_ip, require
from server.core.errors import ERROR_RESPONSES
from server.core.paging import Offset
from server.core.permissions import Permission
from server.jobs.endpoints import JobServiceDep
from server.jobs.schemas import JobPage, JobStarted
from server.jobs.service import job_out
from server.models import Job, Source
from server.sources import schemas
from server.sources.service import SourceCounts, SourceService, schema_for

router = APIRouter(tags=["sources"], responses=ERROR_RESPONSES)
ReadSources = Annotated[OrgContext, Depends(require(Permission.sources_read))]
WriteSources = Annotated[OrgContext, Depends(require(Permission.sources_write))]
SyncSources = Annotated[OrgContext, Depends(require(Permission.sources_sync))]


def source_service(request: Request, session: SessionDep, settings: SettingsDep) -> SourceService:
    return SourceService(session, settings, request.app.state.storage, request.app.state.secret_box)


ServiceDep = Annotated[SourceService, Depends(source_service)]


def _summary(service: SourceService, row: SourceCounts, last: Job | None) -> schemas.SourceSummary:
    source = row.source
    return schemas.SourceSummary(
        id=source.id,
        name=source.name,
        slug=source.slug,
        type=source.type,
        config=service.masked_config(source),
        schema_name=schema_for(source),
        stream_count=row.stream_count,
        selected_stream_count=row.selected_count,
        created_at=source.created_at,
        updated_at=source.updated_at,
        last_sync=job_out(last) if last else None,
    )


def _out(service: SourceService, ctx: OrgContext, source: Source) -> schemas.SourceOut:
    counts = SourceCounts(
        source,
        len(source.catalog) if source.catalog is not None else None,
        len(source.streams) if source.streams is not None else None,
    )
    summary = _summary(service, counts, service.last_syncs(ctx, [source.id]).get(source.id))
    return schemas.SourceOut(
        **summary.model_dump(),
        catalog=source.catalog,
        streams=[schemas.StreamConfig(**s) for s in source.streams] if source.streams is not None else None,
    )


@router.get("/connectors", operation_id="connectors-list_connectors")
def list_connectors(_ctx: ReadSources, service: ServiceDep) -> schemas.ConnectorPage:
    from pipelines.connectors import REGISTRY

    items = []
    for connector_type in REGISTRY:
        connector = service.connector(connector_type)
        items.append(
            schemas.ConnectorOut(
                type=connector_type, name=connector.name, api_version=connector.api_version, spec=connector.spec()
            )
        )
    return schemas.ConnectorPage(items=items, total=len(items))


@router.post("/uploads", status_code=status.HTTP_201_CREATED, operation_id="uploads-create_upload")
def create_upload(ctx: WriteSources, service: ServiceDep, file: Annotated[UploadFile, File()]) -> schemas.UploadOut:
    upload = service.save_upload(ctx, file.filename or "upload", file.file)
    return schemas.UploadOut.model_validate(upload, from_attributes=True)


@router.get("/sources", operation_id="sources-list_sources")
def list_sources(ctx: ReadSources, service: ServiceDep) -> schemas.SourcePage:
    rows = service.list_counted(ctx)
    last = service.last_syncs(ctx, [r.source.id for r in rows])
    return schemas.SourcePage(items=[_summary(service, r, last.get(r.source.id)) for r in rows], total=len(rows))


@router.post("/sources", status_code=status.HTTP_201_CREATED, operation_id="sources-create_source")
def create_source(
    body: schemas.SourceCreate, request: Request, ctx: WriteSources, service: ServiceDep
) -> schemas.SourceOut:
    return _out(service, ctx, service.create(ctx, body.name, body.type, body.config, client_ip(request)))


@router.get("/sources/{source_id}", operation_id="sources-get_source")
def get_source(source_id: str, ctx: ReadSources, service: ServiceDep) -> schemas.SourceOut:
    return _out(service, ctx, service.get(ctx, source_id))


@router.patch("/sources/{source_id}", operation_id="sources-update_source")
def update_source(
    source_id: str, body: schemas.SourceUpdate, request: Request, ctx: WriteSources, service: ServiceDep
) -> schemas.SourceOut:
    return _out(service, ctx, service.update(ctx, source_id, body.name, body.config, client_ip(request)))


@router.delete("/sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="sources-delete_source")
def delete_source(source_id: str, request: Request, ctx: WriteSources, service: ServiceDep) -> Response:
    service.delete(ctx, source_id, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sources/{source_id}/check", operation_id="sources-check_source")
def check_source(source_id: str, ctx: WriteSources, service: ServiceDep) -> schemas.CheckResult:
    ok, message, hint = service.check(ctx, source_id)
    return schemas.CheckResult(ok=ok, message=message, hint=hint)


@router.post("/sources/{source_id}/discover", operation_id="sources-discover_source")
def discover_source(source_id: str, ctx: WriteSources, service: ServiceDep) -> schemas.CatalogOut:
    return schemas.CatalogOut(streams=service.discover(ctx, source_id))


@router.put("/sources/{source_id}/streams", operation_id="sources-set_streams")
def set_streams(
    source_id: str, body: schemas.StreamsUpdate, ctx: WriteSources, service: ServiceDep
) -> schemas.SourceOut:
    return _out(service, ctx, service.set_streams(ctx, source_id, body.streams))


@router.post("/sources/{source_id}/sync", status_code=status.HTTP_202_ACCEPTED, operation_id="sources-sync_source")
def sync_source(
    source_id: str,
    request: Request,
    ctx: SyncSources,
    service: ServiceDep,
    jobs: JobServiceDep,
    body: schemas.SyncRequest | None = None,
) -> JobStarted:
    job = service.start_sync(ctx, source_id, body.streams if body else None, jobs, client_ip(request))
    return JobStarted(job_id=job.id)


@router.get("/sources/{source_id}/syncs", operation_id="sources-list_syncs")
def list_syncs(
    source_id: str,
    ctx: ReadSources,
    service: ServiceDep,
    jobs: JobServiceDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Offset = 0,
) -> JobPage:
    source = service.get(ctx, source_id)
    rows, total = jobs.list(ctx, "source_sync", source.id, limit, offset)
    return JobPage(items=[job_out(j) for j in rows], total=total)
