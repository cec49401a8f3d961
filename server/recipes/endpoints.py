"""Recipe routes: operations catalogue, recipes and their steps, preview, facets, clusters, save/eject."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from server.core.deps import OrgContext, SessionDep, client_ip, require
from server.core.permissions import Permission
from server.models import RecipeRow
from server.warehouse.service import parse_filters, plain

FiltersQ = Annotated[
    str | None,
    Query(
        description='facet selections as JSON, e.g. [{"column": "city", "op": "in", "value": ["Mysuru"]}];'
        " they filter the preview only, never the recipe"
    ),
]
router = APIRouter(prefix="/recipes", tags=["recipes"])
ReadT = Annotated[OrgContext, Depends(require(Permission.transforms_read))]
PreviewT = Annotated[OrgContext, Depends(require(Permission.transforms_preview))]
WriteT = Annotated[OrgContext, Depends(require(Permission.transforms_write))]


def recipe_service(request: Request, session: SessionDep) -> Any:
    """The recipe engine (sqlglot, DuckDB) is imported on first use, not at server start."""
    from server.recipes.service import RecipeService

    state = request.app.state
    return RecipeService(session, state.storage, state.workspaces, state.preview_caches)


ServiceDep = Annotated[Any, Depends(recipe_service)]


class RecipeCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    input: dict[str, Any] = Field(description='{"schema": "raw_x", "table": "t"} or {"kind": "model", "model": "m"}')


class RecipeUpdate(BaseModel):
    name: str | None = None
    description: str | None = None
    column_descriptions: dict[str, str] | None = None
    tests: list[dict[str, Any]] | None = None


class StepCreate(BaseModel):
    op: str
    config: dict[str, Any] = Field(default_factory=dict)
    position: int | None = None


class StepUpdate(BaseModel):
    config: dict[str, Any] | None = None
    enabled: bool | None = None


class StepMove(BaseModel):
    position: int = Field(ge=0)


class ClusterMerge(BaseModel):
    values: list[Any]
    value: Any


class ClusterAccept(BaseModel):
    column: str
    merges: list[ClusterMerge] = Field(min_length=1)


def _out(service: Any, ctx: OrgContext, row: RecipeRow) -> dict[str, Any]:
    definition = row.definition
    return {
        "id": row.id,
        "name": row.name,
        "model_name": row.model_name,
        "status": row.status,
        "input": definition["input"],
        "steps": definition["steps"],
        "description": definition.get("description", ""),
        "tests": definition.get("tests", []),
        "column_descriptions": definition.get("column_descriptions", {}),
        "problems": service.problems(ctx, row),
        "can_undo": bool(row.undo_stack),
        "can_redo": bool(row.redo_stack),
        "saved_at": row.saved_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


@router.get("/operations", operation_id="recipes-list_operations")
def list_operations(_ctx: ReadT) -> dict[str, Any]:
    from pipelines.recipes import OPERATIONS

    items = [{"op": op, "name": spec.name, "config_schema": spec.config_schema()} for op, spec in OPERATIONS.items()]
    return {"items": items, "total": len(items)}


@router.get("", operation_id="recipes-list_recipes")
def list_recipes(ctx: ReadT, service: ServiceDep) -> dict[str, Any]:
    rows = service.list_all(ctx)
    return {"items": [_out(service, ctx, r) for r in rows], "total": len(rows)}


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="recipes-create_recipe")
def create_recipe(body: RecipeCreate, request: Request, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    source = {"kind": "table", **body.input} if "kind" not in body.input else body.input
    return _out(service, ctx, service.create(ctx, body.name, source, client_ip(request)))


@router.get("/{recipe_id}", operation_id="recipes-get_recipe")
def get_recipe(recipe_id: str, ctx: ReadT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.get(ctx, recipe_id))


@router.patch("/{recipe_id}", operation_id="recipes-update_recipe")
def update_recipe(recipe_id: str, body: RecipeUpdate, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.update_meta(ctx, recipe_id, body.model_dump()))


@router.delete("/{recipe_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="recipes-delete_recipe")
def delete_recipe(recipe_id: str, request: Request, ctx: WriteT, service: ServiceDep) -> Response:
    service.delete(ctx, recipe_id, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{recipe_id}/steps", status_code=status.HTTP_201_CREATED, operation_id="recipes-add_step")
def add_step(recipe_id: str, body: StepCreate, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.add_step(ctx, recipe_id, body.op, body.config, body.position))


@router.patch("/{recipe_id}/steps/{step_id}", operation_id="recipes-update_step")
def update_step(recipe_id: str, step_id: str, body: StepUpdate, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.update_step(ctx, recipe_id, step_id, body.config, body.enabled))


@router.delete("/{recipe_id}/steps/{step_id}", operation_id="recipes-delete_step")
def delete_step(recipe_id: str, step_id: str, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.delete_step(ctx, recipe_id, step_id))


@router.post("/{recipe_id}/steps/{step_id}/move", operation_id="recipes-move_step")
def move_step(recipe_id: str, step_id: str, body: StepMove, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.move_step(ctx, recipe_id, step_id, body.position))


@router.post("/{recipe_id}/undo", operation_id="recipes-undo")
def undo(recipe_id: str, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.undo(ctx, recipe_id))


@router.post("/{recipe_id}/redo", operation_id="recipes-redo")
def redo(recipe_id: str, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return _out(service, ctx, service.redo(ctx, recipe_id))


@router.get("/{recipe_id}/preview", operation_id="recipes-preview")
def preview_recipe(
    recipe_id: str,
    ctx: PreviewT,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    upto: Annotated[int | None, Query(ge=0, description="preview after this step (1-based); default: all")] = None,
    sample: Annotated[int | None, Query(ge=1, description="run on a random sample of this many input rows")] = None,
    filters: FiltersQ = None,
) -> dict[str, Any]:
    chosen = parse_filters(filters)
    if not chosen:
        result: dict[str, Any] = plain(service.preview(ctx, recipe_id, upto, limit, sample))
        return {**result, "filters": []}
    from server.recipes.filtered import echo

    result = plain(service.preview_filtered(ctx, recipe_id, upto, limit, sample, chosen))
    return {**result, "filters": plain(echo(chosen))}


@router.get("/{recipe_id}/facet", operation_id="recipes-facet")
def facet(
    recipe_id: str,
    column: str,
    ctx: PreviewT,
    service: ServiceDep,
    kind: str = "text",
    upto: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    filters: FiltersQ = None,
) -> dict[str, Any]:
    result: dict[str, Any] = plain(service.facet(ctx, recipe_id, column, kind, upto, limit, parse_filters(filters)))
    return result


@router.get("/{recipe_id}/clusters", operation_id="recipes-clusters")
def clusters(
    recipe_id: str,
    column: str,
    ctx: PreviewT,
    service: ServiceDep,
    method: str = "fingerprint",
    ngram_size: Annotated[int, Query(ge=1, le=10)] = 2,
    upto: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    found = service.clusters(ctx, recipe_id, column, method, upto, ngram_size)
    items = [{**plain(dataclasses.asdict(c)), "rows": c.rows} for c in found]
    return {"items": items, "total": len(items)}


@router.post("/{recipe_id}/clusters/accept", operation_id="recipes-accept_clusters")
def accept_clusters(recipe_id: str, body: ClusterAccept, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    merges = [(m.values, m.value) for m in body.merges]
    return _out(service, ctx, service.accept_clusters(ctx, recipe_id, body.column, merges))


@router.post("/{recipe_id}/save", operation_id="recipes-save")
def save_recipe(recipe_id: str, request: Request, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return service.save(ctx, recipe_id, client_ip(request))


@router.post("/{recipe_id}/eject", operation_id="recipes-eject")
def eject_recipe(recipe_id: str, request: Request, ctx: WriteT, service: ServiceDep) -> dict[str, Any]:
    return service.eject(ctx, recipe_id, client_ip(request))
