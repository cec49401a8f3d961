"""Metric library routes: list, check, create, read, update, delete (refused while used), used-by."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from server.core.deps import OrgContext, SessionDep, require
from server.core.errors import ERROR_RESPONSES
from server.core.permissions import Permission
from server.core.schemas import Page
from server.metrics import schemas
from server.metrics.service import MetricService

router = APIRouter(prefix="/metrics", tags=["metrics"], responses=ERROR_RESPONSES)
ReadT = Annotated[OrgContext, Depends(require(Permission.charts_read))]
WriteT = Annotated[OrgContext, Depends(require(Permission.charts_write))]


def metric_service(request: Request, session: SessionDep) -> MetricService:
    return MetricService(session, request.app.state.storage, request.app.state.secret_box)


ServiceDep = Annotated[MetricService, Depends(metric_service)]


@router.get("", operation_id="metrics-list_metrics")
def list_metrics(ctx: ReadT, service: ServiceDep) -> Page[schemas.MetricOut]:
    items = service.list_all(ctx)
    return Page(items=items, total=len(items))


@router.post("/check", operation_id="metrics-check_metric")
def check_metric(body: schemas.MetricCreate, ctx: WriteT, service: ServiceDep) -> schemas.MetricCheck:
    """Check a metric on the warehouse without saving it (a refused expression runs nothing)."""
    return service.check(ctx, body)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="metrics-create_metric")
def create_metric(body: schemas.MetricCreate, ctx: WriteT, service: ServiceDep) -> schemas.MetricOut:
    return service.describe_one(ctx, service.create(ctx, body))


@router.get("/{metric_id}", operation_id="metrics-get_metric")
def get_metric(metric_id: str, ctx: ReadT, service: ServiceDep) -> schemas.MetricOut:
    return service.describe_one(ctx, service.get(ctx, metric_id))


@router.patch("/{metric_id}", operation_id="metrics-update_metric")
def update_metric(metric_id: str, body: schemas.MetricUpdate, ctx: WriteT, service: ServiceDep) -> schemas.MetricOut:
    return service.describe_one(ctx, service.update(ctx, metric_id, body))


@router.delete("/{metric_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="metrics-delete_metric")
def delete_metric(metric_id: str, ctx: WriteT, service: ServiceDep) -> Response:
    service.delete(ctx, metric_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
