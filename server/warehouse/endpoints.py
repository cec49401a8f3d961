"""Data explorer routes: tables, rows with paging/sort/filter, profiles, distinct values, exports, queries."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from server.core.deps import OrgContext, SessionDep, require
from server.core.errors import ERROR_RESPONSES
from server.core.paging import Offset
from server.core.permissions import Permission
from server.core.schemas import Page
from server.warehouse import schemas
from server.warehouse.service import EXPORT_TYPES, WarehouseService, parse_filters, parse_sort, plain

router = APIRouter(prefix="/warehouse", tags=["warehouse"], responses=ERROR_RESPONSES)
ReadWarehouse = Annotated[OrgContext, Depends(require(Permission.warehouse_read))]


def warehouse_service(request: Request, session: SessionDep) -> WarehouseService:
    state = request.app.state
    return WarehouseService(session, state.storage, state.secret_box, state.settings.network_policy())


ServiceDep = Annotated[WarehouseService, Depends(warehouse_service)]
Filters = Annotated[str | None, Query(description='JSON list: [{"column": "age", "op": "gt", "value": 5}]')]
Which = Annotated[
    Literal["primary", "local"],
    Query(description="primary: the org's warehouse; local: the DuckDB file sources load into"),
]
Sort = Annotated[str | None, Query(description="columns, '-' for descending: district,-age")]


# Exports are files, documented as such (not JSON).
_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in EXPORT_TYPES.values()},
        "description": "The table as a file in the chosen format.",
    }
}


@router.get("", operation_id="warehouse-get_settings")
def get_settings(ctx: ReadWarehouse, service: ServiceDep) -> schemas.WarehouseOut:
    return schemas.WarehouseOut(**service.describe(ctx))


@router.put("", operation_id="warehouse-configure")
def configure(
    body: schemas.WarehouseSettings,
    ctx: Annotated[OrgContext, Depends(require(Permission.warehouse_write))],
    service: ServiceDep,
) -> schemas.WarehouseOut:
    return schemas.WarehouseOut(**service.configure(ctx, body.kind, body.config))


@router.get("/tables", operation_id="warehouse-list_tables")
def list_tables(
    ctx: ReadWarehouse, service: ServiceDep, warehouse: Which = "primary", schema: str | None = None
) -> Page[schemas.TableOut]:
    with service.client(ctx, warehouse) as client:
        items = [t for t in client.list_tables(schema) if not t.name.startswith("_dalgo_")]
    return Page(items=[schemas.TableOut(**plain(t)) for t in items], total=len(items))


@router.get("/tables/{schema}/{table}/columns", operation_id="warehouse-list_columns")
def list_columns(
    schema: str, table: str, ctx: ReadWarehouse, service: ServiceDep, warehouse: Which = "primary"
) -> Page[schemas.ColumnOut]:
    with service.client(ctx, warehouse) as client:
        items = client.columns(schema, table)
    return Page(items=[schemas.ColumnOut(**plain(c)) for c in items], total=len(items))


@router.get("/tables/{schema}/{table}/rows", operation_id="warehouse-get_rows")
def get_rows(
    schema: str,
    table: str,
    ctx: ReadWarehouse,
    service: ServiceDep,
    warehouse: Which = "primary",
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Offset = 0,
    sort: Sort = None,
    filters: Filters = None,
) -> schemas.RowsPage:
    with service.client(ctx, warehouse) as client:
        page = client.preview(
            schema, table, limit=limit, offset=offset, sort=parse_sort(sort), filters=parse_filters(filters)
        )
    return schemas.RowsPage(columns=plain(page.columns), rows=plain(page.rows), total=page.total)


@router.get("/tables/{schema}/{table}/profile", operation_id="warehouse-profile_column")
def profile_column(
    schema: str, table: str, column: str, ctx: ReadWarehouse, service: ServiceDep, warehouse: Which = "primary"
) -> schemas.ColumnProfileOut:
    with service.client(ctx, warehouse) as client:
        return schemas.ColumnProfileOut(**plain(client.profile(schema, table, column)))


@router.get("/tables/{schema}/{table}/distinct", operation_id="warehouse-distinct_values")
def distinct_values(
    schema: str,
    table: str,
    column: str,
    ctx: ReadWarehouse,
    service: ServiceDep,
    warehouse: Which = "primary",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    filters: Filters = None,
) -> Page[schemas.ValueCountOut]:
    with service.client(ctx, warehouse) as client:
        values = client.distinct_values(schema, table, column, limit=limit, filters=parse_filters(filters))
    return Page(items=[schemas.ValueCountOut(value=plain(v.value), count=v.count) for v in values], total=len(values))


@router.get(
    "/tables/{schema}/{table}/export",
    response_class=FileResponse,
    responses=_FILE,
    operation_id="warehouse-export_table",
)
def export_table(
    schema: str,
    table: str,
    ctx: Annotated[OrgContext, Depends(require(Permission.warehouse_export))],
    service: ServiceDep,
    warehouse: Which = "primary",
    format: Literal["csv", "xlsx", "parquet"] = "csv",
    sort: Sort = None,
    filters: Filters = None,
    system_columns: Annotated[
        bool, Query(description="include Dalgo's own load columns (_dalgo_loaded_at, _dalgo_batch_id, …)")
    ] = False,
) -> FileResponse:
    path = service.export(
        ctx, schema, table, format, parse_sort(sort), parse_filters(filters), warehouse, system_columns=system_columns
    )
    return FileResponse(
        path, media_type=EXPORT_TYPES[format], filename=path.name, background=BackgroundTask(_remove_export, path)
    )


def _remove_export(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)


@router.post("/query", operation_id="warehouse-run_query")
def run_query(
    body: schemas.QueryRequest, ctx: ReadWarehouse, service: ServiceDep, warehouse: Which = "primary"
) -> schemas.QueryOut:
    with service.client(ctx, warehouse) as client:
        result = client.query(body.sql, limit=body.limit)
    return schemas.QueryOut(columns=plain(result.columns), rows=plain(result.rows), truncated=result.truncated)
