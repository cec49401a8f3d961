"""Chart routes: CRUD, list with search/sort, preview, image, data (JSON/CSV/XLSX, paged), drill, boundary files."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status

from server.charts import schemas
from server.charts.exports import table_file
from server.charts.service import ChartService, chart_data
from server.core.deps import OrgContext, SessionDep, require
from server.core.errors import ERROR_RESPONSES, ERRORS_AS_JSON
from server.core.paging import Offset
from server.core.permissions import Permission
from server.core.schemas import Page

router = APIRouter(prefix="/charts", tags=["charts"], responses=ERROR_RESPONSES)
ReadT = Annotated[OrgContext, Depends(require(Permission.charts_read))]
WriteT = Annotated[OrgContext, Depends(require(Permission.charts_write))]
Width = Annotated[int, Query(ge=200, le=4000)]
Height = Annotated[int, Query(ge=150, le=4000)]
_IMAGE = {
    **ERRORS_AS_JSON,
    200: {"content": {t: {} for t in ("image/png", "image/svg+xml", "application/pdf")}, "description": "the chart"},
}
_FILE = {
    **ERRORS_AS_JSON,
    200: {
        "content": {t: {} for t in ("application/json", "text/csv", schemas.XLSX)},
        "description": "the chart's data: JSON (ChartData), CSV or Excel",
    },
}


def chart_service(request: Request, session: SessionDep) -> ChartService:
    state = request.app.state
    return ChartService(session, state.storage, state.secret_box, state.chart_caches)


ServiceDep = Annotated[ChartService, Depends(chart_service)]


@router.get("", operation_id="charts-list_charts")
def list_charts(
    ctx: ReadT,
    service: ServiceDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    sort: Literal["name", "-name", "updated", "-updated", "created", "-created", "type", "-type"] = "-updated",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Page[schemas.ChartOut]:
    items, total = service.list_page(ctx, search, sort, limit, offset)
    return Page(items=items, total=total)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="charts-create_chart")
def create_chart(body: schemas.ChartCreate, ctx: WriteT, service: ServiceDep) -> schemas.ChartOut:
    return service.describe(ctx, [service.create(ctx, body)])[0]


@router.post("/preview", operation_id="charts-preview_chart")
def preview_chart(body: schemas.PreviewRequest, ctx: WriteT, service: ServiceDep) -> schemas.PreviewOut:
    """Data and picture of a spec that is not saved (the editor's live preview)."""
    from pipelines.charts.render import MEDIA_TYPES, render

    result, cached = service.data(ctx, body.spec)
    image = render(
        service.resolve(ctx, body.spec),
        result,
        body.format,
        width=body.width,
        height=body.height,
        geojson=service.geojson_for(ctx, body.spec),
    )
    return schemas.PreviewOut(
        data=chart_data(result, cached), image=base64.b64encode(image).decode(), media_type=MEDIA_TYPES[body.format]
    )


@router.get("/geojson", operation_id="charts-list_geojson")
def list_geojson(ctx: ReadT, service: ServiceDep) -> Page[schemas.GeoJsonOut]:
    from server.charts.geojson import listing

    items = listing(service, ctx)
    return Page(items=items, total=len(items))


@router.post("/geojson", status_code=status.HTTP_201_CREATED, operation_id="charts-upload_geojson")
async def upload_geojson(
    ctx: WriteT, service: ServiceDep, file: Annotated[UploadFile, File()], name: Annotated[str, Form()] = ""
) -> schemas.GeoJsonOut:
    from server.charts.geojson import upload

    data = await file.read(20 * 1024 * 1024 + 1)
    return upload(service, ctx, name or (file.filename or "boundaries"), data)


@router.get("/{chart_id}", operation_id="charts-get_chart")
def get_chart(chart_id: str, ctx: ReadT, service: ServiceDep) -> schemas.ChartOut:
    return service.describe(ctx, [service.get(ctx, chart_id)])[0]


@router.patch("/{chart_id}", operation_id="charts-update_chart")
def update_chart(chart_id: str, body: schemas.ChartUpdate, ctx: WriteT, service: ServiceDep) -> schemas.ChartOut:
    return service.describe(ctx, [service.update(ctx, chart_id, body)])[0]


@router.delete("/{chart_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="charts-delete_chart")
def delete_chart(chart_id: str, ctx: WriteT, service: ServiceDep) -> Response:
    service.delete(ctx, chart_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{chart_id}/duplicate", status_code=status.HTTP_201_CREATED, operation_id="charts-duplicate_chart")
def duplicate_chart(chart_id: str, body: schemas.ChartDuplicate, ctx: WriteT, service: ServiceDep) -> schemas.ChartOut:
    return service.describe(ctx, [service.duplicate(ctx, chart_id, body.name)])[0]


@router.get("/{chart_id}/image", response_class=Response, responses=_IMAGE, operation_id="charts-chart_image")
def chart_image(
    chart_id: str,
    ctx: ReadT,
    service: ServiceDep,
    format: Literal["png", "svg", "pdf"] = "png",
    width: Width = 800,
    height: Height = 500,
    offset: Offset = 0,
) -> Response:
    """The chart drawn by the server (tables: one page of rows from `offset`)."""
    from pipelines.charts.render import MEDIA_TYPES
    from pipelines.charts.spec import ChartSpec

    spec = ChartSpec.model_validate(service.get(ctx, chart_id).spec)
    image = service.image(ctx, spec, format, width, height, offset)
    return Response(image, media_type=MEDIA_TYPES[format])


@router.get("/{chart_id}/data", response_class=Response, responses=_FILE, operation_id="charts-chart_data")
def get_chart_data(
    chart_id: str,
    ctx: ReadT,
    service: ServiceDep,
    format: Literal["json", "csv", "xlsx"] = "json",
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="table charts: rows per page")] = None,
    offset: Offset = 0,
) -> Response:
    """The rows behind the chart; table charts come one page at a time (never the whole table)."""
    from pipelines.charts.spec import ChartSpec

    spec = ChartSpec.model_validate(service.get(ctx, chart_id).spec)
    paged = spec.chart_type == "table"
    result, cached = service.data(ctx, spec, (limit or 100) if paged else None, offset if paged else 0)
    data = chart_data(result, cached)
    if format == "json":
        return Response(data.model_dump_json(), media_type="application/json")
    return table_file(data, format, service.get(ctx, chart_id).name)


@router.post("/{chart_id}/drill", operation_id="charts-drill")
def drill(chart_id: str, body: schemas.DrillRequest, ctx: ReadT, service: ServiceDep) -> schemas.DrillOut:
    """The rows behind one category or time bucket, or that bucket at the next finer time grain."""
    spec = service.drill(ctx, chart_id, body)
    paged = spec.chart_type == "table"
    result, cached = service.data(ctx, spec, body.limit if paged else None, body.offset if paged else 0)
    return schemas.DrillOut(spec=spec, data=chart_data(result, cached))
