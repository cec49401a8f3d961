"""Recipe routes: operations catalogue, recipes and their steps, preview, facets, clusters, save/eject."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from server.core.deps import OrgContext, SessionDep, client_ip, require
from server.core.errors import ERROR_RESPONSES
from server.core.permissions import Permission
from server.core.schemas import Page
from server.models import RecipeRow
from server.recipes import schemas
from server.warehouse.service import parse_filters, plain

if TYPE_CHECKING:
    from server.recipes.service import RecipeService

FiltersQ = Annotated[
    str | None,
    Query(
        description='facet selections as JSON, e.g. [{"column": "city", "op": "in", "value": ["Mysuru"]}];'
        " they filter the preview only, never the recipe"
    ),
]
router = APIRouter(prefix="/recipes", tags=["recipes"], responses=ERROR_RESPONSES)
ReadT = Annotated[OrgContext, Depends(require(Permission.transforms_read))]
PreviewT = Annotated[OrgContext, Depends(require(Permission.transforms_preview))]
WriteT = Annotated[OrgContext, Depends(require(Permission.transforms_write))]
Upto = Annotated[int | None, Query(ge=0, le=10**6, description="after this step (1-based); default: all")]


def recipe_service(request: Request, session: SessionDep) -> RecipeService:
    """The recipe engine (sqlglot, DuckDB) is imported on first use, not at server start."""
    from server.recipes.service import RecipeService

    state = request.app.state
    return RecipeService(session, state.storage, state.workspaces, state.preview_caches)


ServiceDep = Annotated["RecipeService", Depends(recipe_service)]


def _out(service: RecipeService, ctx: OrgContext, row: RecipeRow) -> schemas.RecipeOut:
    return service.describe(ctx, [row])[0]


@router.get("/operations", operation_id="recipes-list_operations")
def list_operations(_ctx: ReadT) -> Page[schemas.Operation]:
    from pipelines.recipes import OPERATIONS

    items = [
        schemas.Operation(op=op, name=spec.name, config_schema=spec.config_schema()) for op, spec in OPERATIONS.items()
    ]
    return Page(items=items, total=len(items))


@router.get("", operation_id="recipes-list_recipes")
def list_recipes(ctx: ReadT, service: ServiceDep) -> Page[schemas.RecipeOut]:
    items = service.describe(ctx, service.list_all(ctx))
    return Page(items=items, total=len(items))


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="recipes-create_recipe")
def create_recipe(body: schemas.RecipeCreate, request: Request, ctx: WriteT, service: ServiceDep) -> schemas.RecipeOut:
    source = {"kind": "table", **body.input} if "kind" not in body.input else body.input
    return _out(service, ctx, service.create(ctx, body.name, source, client_ip(request)))


@router.get("/{recipe_id}", operation_id="recipes-get_recipe")
def get_recipe(recipe_id: str, ctx: ReadT, service: ServiceDep) -> schemas.RecipeOut:
    return _out(service, ctx, service.get(ctx, recipe_id))


@router.patch("/{recipe_id}", operation_id="recipes-update_recipe")
def update_recipe(recipe_id: str, body: schemas.RecipeUpdate, ctx: WriteT, service: ServiceDep) -> schemas.RecipeOut:
    return _out(service, ctx, service.update_meta(ctx, recipe_id, body.model_dump()))


@router.delete("/{recipe_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="recipes-delete_recipe")
def delete_recipe(recipe_id: str, request: Request, ctx: WriteT, service: ServiceDep) -> Response:
    service.delete(ctx, recipe_id, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{recipe_id}/steps", status_code=status.HTTP_201_CREATED, operation_id="recipes-add_step")
def add_step(recipe_id: str, body: schemas.StepCreate, ctx: WriteT, service: ServiceDep) -> schemas.RecipeOut:
    return _out(service, ctx, service.add_step(ctx, recipe_id, body.op, body.config, body.position))


@router.patch("/{recipe_id}/steps/{step_id}", operation_id="recipes-update_step")
def update_step(
    recipe_id: str, step_id: str, body: schemas.StepUpdate, ctx: WriteT, service: ServiceDep
) -> schemas.RecipeOut:
    return _out(service, ctx, service.update_step(ctx, recipe_id, step_id, body.config, body.enabled))


@router.delete("/{recipe_id}/steps/{step_id}", operation_id="recipes-delete_step")
def delete_step(recipe_id: str, step_id: str, ctx: WriteT, service: ServiceDep) -> schemas.RecipeOut:
    return _out(service, ctx, service.delete_step(ctx, recipe_id, step_id))


@router.post("/{recipe_id}/steps/{step_id}/move", operation_id="recipes-move_step")
def move_step(
    recipe_id: str, step_id: str, body: schemas.StepMove, ctx: WriteT, service: ServiceDep
) -> schemas.RecipeOut:
    return _out(service, ctx, service.move_step(ctx, recipe_id, step_id, body.position))


@router.post("/{recipe_id}/undo", operation_id="recipes-undo")
def undo(recipe_id: str, ctx: WriteT, service: ServiceDep) -> schemas.RecipeOut:
    return _out(service, ctx, service.undo(ctx, recipe_id))


@router.post("/{recipe_id}/redo", operation_id="recipes-redo")
def redo(recipe_id: str, ctx: WriteT, service: ServiceDep) -> schemas.RecipeOut:
    return _out(service, ctx, service.redo(ctx, recipe_id))


@router.get("/{recipe_id}/preview", operation_id="recipes-preview")
def preview_recipe(
    recipe_id: str,
    ctx: PreviewT,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    upto: Upto = None,
    sample: Annotated[
        int | None, Query(ge=1, le=10**9, description="run on a random sample of this many input rows")
    ] = None,
    filters: FiltersQ = None,
) -> schemas.PreviewOut:
    chosen = parse_filters(filters)
    if not chosen:
        return schemas.PreviewOut(**plain(service.preview(ctx, recipe_id, upto, limit, sample)))
    from server.recipes.filtered import echo

    result = plain(service.preview_filtered(ctx, recipe_id, upto, limit, sample, chosen))
    return schemas.PreviewOut(**{**result, "filters": plain(echo(chosen))})


@router.get("/{recipe_id}/facet", operation_id="recipes-facet")
def facet(
    recipe_id: str,
    column: str,
    ctx: PreviewT,
    service: ServiceDep,
    kind: str = "text",
    upto: Upto = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    filters: FiltersQ = None,
) -> schemas.TextFacetOut | schemas.RangeFacetOut:
    result: dict[str, Any] = plain(service.facet(ctx, recipe_id, column, kind, upto, limit, parse_filters(filters)))
    if "bins" in result:
        return schemas.RangeFacetOut(**result)
    return schemas.TextFacetOut(**result)


@router.get("/{recipe_id}/clusters", operation_id="recipes-clusters")
def clusters(
    recipe_id: str,
    column: str,
    ctx: PreviewT,
    service: ServiceDep,
    method: Annotated[
        Literal["fingerprint", "ngram", "levenshtein", "phonetic"],
        Query(description="fingerprint, ngram (key collision); levenshtein (small typos), phonetic (sounds alike)"),
    ] = "fingerprint",
    ngram_size: Annotated[int, Query(ge=1, le=10)] = 2,
    radius: Annotated[
        int | None,
        Query(ge=0, le=3, description="letters of difference: levenshtein 1-3 (default 1), phonetic 0-2 (default 0)"),
    ] = None,
    upto: Upto = None,
) -> Page[schemas.ClusterOut]:
    found = service.clusters(ctx, recipe_id, column, method, upto, ngram_size, radius)
    items = [schemas.ClusterOut(**{**plain(dataclasses.asdict(c)), "rows": c.rows}) for c in found]
    return Page(items=items, total=len(items))


@router.get("/{recipe_id}/date-formats", operation_id="recipes-date_formats")
def date_formats(
    recipe_id: str, column: str, ctx: PreviewT, service: ServiceDep, upto: Upto = None
) -> schemas.DateFormatsOut:
    """The common date formats the column's text is written in, with counts and examples of each."""
    from pipelines.recipes.datefmt import AMBIGUOUS

    found, unread_rows, unread_values = service.date_formats(ctx, recipe_id, column, upto)
    formats = [schemas.DetectedFormatOut(**dataclasses.asdict(f)) for f in found]
    both = {"dd/mm/yyyy", "mm/dd/yyyy"} <= {f.format for f in found}
    return schemas.DateFormatsOut(
        column=column,
        formats=formats,
        unread_rows=unread_rows,
        unread_values=unread_values,
        ambiguous=AMBIGUOUS if both else "",
    )


@router.post("/{recipe_id}/clusters/accept", operation_id="recipes-accept_clusters")
def accept_clusters(recipe_id: str, body: schemas.ClusterAccept, ctx: WriteT, service: ServiceDep) -> schemas.RecipeOut:
    merges = [(list(m.values), m.value) for m in body.merges]
    return _out(service, ctx, service.accept_clusters(ctx, recipe_id, body.column, merges))


@router.post("/{recipe_id}/save", operation_id="recipes-save")
def save_recipe(recipe_id: str, request: Request, ctx: WriteT, service: ServiceDep) -> schemas.SavedModel:
    return service.save(ctx, recipe_id, client_ip(request))


@router.post("/{recipe_id}/eject", operation_id="recipes-eject")
def eject_recipe(recipe_id: str, request: Request, ctx: WriteT, service: ServiceDep) -> schemas.SavedModel:
    return service.eject(ctx, recipe_id, client_ip(request))
