"""Recipes: OpenRefine-style steps on a table, with undo/redo, live preview, facets, clusters, save to dbt."""

from __future__ import annotations

from typing import Any

import duckdb
from pydantic import ValidationError
from sqlalchemy.orm import Session

from pipelines.duckdb_conn import quote_ident
from pipelines.recipes import (
    ColumnType,
    ModelInput,
    Recipe,
    Step,
    StepProblem,
    TableInput,
    check_cycles,
    cluster_column,
    compiled_relation,
    describe_relation,
    merge_step,
    preview,
    render_model,
    text_facet,
    validate,
)
from pipelines.recipes.cache import PreviewCache
from pipelines.recipes.facets import date_facet, numeric_facet
from pipelines.warehouse import Filter
from server.audit.service import AuditService
from server.core.bounded import BoundedCache
from server.core.deps import OrgContext
from server.core.storage import OrgStorage
from server.models import RecipeRow
from server.models.base import utcnow
from server.recipes.errors import InvalidStep, NothingToUndo, RecipeEjected, RecipeNameTaken, RecipeNotFound
from server.recipes.filtered import facet_selections, filtered_page, output_relation
from server.recipes.repository import RecipesRepository
from server.recipes.schemas import RecipeOut, SavedModel, StepProblemOut
from server.transforms.workspace import Workspaces

HISTORY_LIMIT = 100
MODEL_SCHEMA = "analytics"


def relation_of(source: TableInput | ModelInput) -> str:
    if isinstance(source, TableInput):
        return f"{quote_ident(source.schema_)}.{quote_ident(source.table)}"
    return f"{quote_ident(MODEL_SCHEMA)}.{quote_ident(source.model)}"


def readable(err: ValidationError) -> str:
    parts = []
    for item in err.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "__root__")
        msg = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


class RecipeService:
    def __init__(
        self, session: Session, storage: OrgStorage, workspaces: Workspaces, caches: BoundedCache[str, PreviewCache]
    ) -> None:
        self.session = session
        self.storage = storage
        self.workspaces = workspaces
        self.caches = caches
        self._repo = RecipesRepository(session)

    # --- rows and definitions --------------------------------------------------------------------
    def list_all(self, ctx: OrgContext) -> list[RecipeRow]:
        return self._repo.list(ctx.org_id)

    def get(self, ctx: OrgContext, recipe_id: str) -> RecipeRow:
        return self._repo.get(ctx.org_id, recipe_id)

    def describe(self, ctx: OrgContext, rows: list[RecipeRow]) -> list[RecipeOut]:
        """Recipes as the API shows them; every recipe of the org is parsed once, not once per item."""
        parsed = {r.id: self.recipe(r) for r in self.list_all(ctx)}
        parsed.update({r.id: self.recipe(r) for r in rows if r.id not in parsed})
        con = self._con(ctx)
        return [self._describe(ctx, con, row, parsed) for row in rows]

    def _describe(
        self, ctx: OrgContext, con: duckdb.DuckDBPyConnection, row: RecipeRow, parsed: dict[str, Recipe]
    ) -> RecipeOut:
        definition = row.definition
        return RecipeOut(
            id=row.id,
            name=row.name,
            model_name=row.model_name,
            status=row.status,
            input=definition["input"],
            steps=definition["steps"],
            description=definition.get("description", ""),
            tests=definition.get("tests", []),
            column_descriptions=definition.get("column_descriptions", {}),
            problems=self._problems(ctx, con, row, parsed),
            can_undo=bool(row.undo_stack),
            can_redo=bool(row.redo_stack),
            saved_at=row.saved_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @staticmethod
    def recipe(row: RecipeRow) -> Recipe:
        return Recipe.model_validate(row.definition)

    def create(self, ctx: OrgContext, name: str, input_: dict[str, Any], ip: str) -> RecipeRow:
        try:
            recipe = Recipe.model_validate({"name": name, "input": input_, "steps": []})
        except ValidationError as err:
            raise InvalidStep(f"The recipe is not valid: {readable(err)}") from err
        self._check_name_free(ctx, recipe.model_name, None)
        row = self._repo.add(
            RecipeRow(
                org_id=ctx.org_id,
                name=recipe.name,
                model_name=recipe.model_name,
                definition=recipe.model_dump(mode="json", by_alias=True),
                undo_stack=[],
                redo_stack=[],
            )
        )
        AuditService(self.session).record("recipe.created", actor=ctx.user, org_id=ctx.org_id, target=row.name, ip=ip)
        return row

    def _check_name_free(self, ctx: OrgContext, model_name: str, except_id: str | None) -> None:
        clash = self._repo.by_model_name(ctx.org_id, model_name)
        if clash is not None and clash.id != except_id:
            raise RecipeNameTaken(
                f"The recipe '{clash.name}' already makes a model named '{model_name}'; choose another name."
            )

    def update_meta(self, ctx: OrgContext, recipe_id: str, changes: dict[str, Any]) -> RecipeRow:
        row = self.get(ctx, recipe_id)
        definition = {**row.definition, **{k: v for k, v in changes.items() if v is not None}}
        recipe = self._validated(definition)
        self._check_name_free(ctx, recipe.model_name, row.id)
        self._apply(row, recipe)
        return row

    def delete(self, ctx: OrgContext, recipe_id: str, ip: str) -> None:
        row = self.get(ctx, recipe_id)
        self._repo.delete(row)
        AuditService(self.session).record("recipe.deleted", actor=ctx.user, org_id=ctx.org_id, target=row.name, ip=ip)

    def _validated(self, definition: dict[str, Any]) -> Recipe:
        try:
            return Recipe.model_validate(definition)
        except ValidationError as err:
            raise InvalidStep(readable(err)) from err

    def _apply(self, row: RecipeRow, recipe: Recipe) -> None:
        """Make `recipe` current; the previous definition goes on the undo stack, redo is cleared."""
        if row.status == "ejected":
            raise RecipeEjected(f"'{row.name}' was ejected to a SQL model; edit that model instead.")
        row.undo_stack = [*row.undo_stack, row.definition][-HISTORY_LIMIT:]
        row.redo_stack = []
        row.definition = recipe.model_dump(mode="json", by_alias=True)
        row.name, row.model_name = recipe.name, recipe.model_name
        row.updated_at = utcnow()
        self.session.flush()

    # --- steps -------------------------------------------------------------------------------------
    def _step(self, op: str, config: dict[str, Any], **extra: Any) -> Step:
        try:
            return Step(op=op, config=config, **extra)
        except ValidationError as err:
            raise InvalidStep(f"The {op} step is not valid: {readable(err)}") from err

    def add_step(
        self, ctx: OrgContext, recipe_id: str, op: str, config: dict[str, Any], position: int | None
    ) -> RecipeRow:
        row = self.get(ctx, recipe_id)
        recipe = self.recipe(row)
        steps = list(recipe.steps)
        steps.insert(len(steps) if position is None else max(0, min(position, len(steps))), self._step(op, config))
        self._apply(row, recipe.model_copy(update={"steps": steps}))
        return row

    def update_step(
        self, ctx: OrgContext, recipe_id: str, step_id: str, config: dict[str, Any] | None, enabled: bool | None
    ) -> RecipeRow:
        row = self.get(ctx, recipe_id)
        recipe = self.recipe(row)
        index = self._index(recipe, step_id)
        old = recipe.steps[index]
        new = self._step(
            old.op,
            config if config is not None else old.config,
            id=old.id,
            enabled=old.enabled if enabled is None else enabled,
        )
        steps = list(recipe.steps)
        steps[index] = new
        self._apply(row, recipe.model_copy(update={"steps": steps}))
        return row

    def delete_step(self, ctx: OrgContext, recipe_id: str, step_id: str) -> RecipeRow:
        row = self.get(ctx, recipe_id)
        recipe = self.recipe(row)
        index = self._index(recipe, step_id)
        self._apply(row, recipe.model_copy(update={"steps": [s for i, s in enumerate(recipe.steps) if i != index]}))
        return row

    def move_step(self, ctx: OrgContext, recipe_id: str, step_id: str, position: int) -> RecipeRow:
        row = self.get(ctx, recipe_id)
        recipe = self.recipe(row)
        steps = list(recipe.steps)
        step = steps.pop(self._index(recipe, step_id))
        steps.insert(max(0, min(position, len(steps))), step)
        self._apply(row, recipe.model_copy(update={"steps": steps}))
        return row

    @staticmethod
    def _index(recipe: Recipe, step_id: str) -> int:
        for i, step in enumerate(recipe.steps):
            if step.id == step_id:
                return i
        raise RecipeNotFound(f"The recipe has no step {step_id}; refresh it.")

    def undo(self, ctx: OrgContext, recipe_id: str) -> RecipeRow:
        row = self.get(ctx, recipe_id)
        if not row.undo_stack:
            raise NothingToUndo("There is nothing to undo.")
        row.redo_stack = [*row.redo_stack, row.definition]
        row.definition, row.undo_stack = row.undo_stack[-1], row.undo_stack[:-1]
        self.session.flush()
        return row

    def redo(self, ctx: OrgContext, recipe_id: str) -> RecipeRow:
        row = self.get(ctx, recipe_id)
        if not row.redo_stack:
            raise NothingToUndo("There is nothing to redo.")
        row.undo_stack = [*row.undo_stack, row.definition]
        row.definition, row.redo_stack = row.redo_stack[-1], row.redo_stack[:-1]
        self.session.flush()
        return row

    # --- reading data ------------------------------------------------------------------------------
    def _con(self, ctx: OrgContext) -> duckdb.DuckDBPyConnection:
        return self.storage.duckdb(ctx.org.slug).cursor()

    def columns_of(self, con: duckdb.DuckDBPyConnection, source: TableInput | ModelInput) -> list[ColumnType] | None:
        try:
            return describe_relation(con, relation_of(source))
        except duckdb.Error:
            return None

    def _problems(
        self, ctx: OrgContext, con: duckdb.DuckDBPyConnection, row: RecipeRow, parsed: dict[str, Recipe]
    ) -> list[StepProblemOut]:
        """What is wrong with each step, without failing: a broken recipe still opens."""
        recipe = parsed[row.id]
        columns = self.columns_of(con, recipe.input)
        if columns is None:
            message = f"The input {relation_of(recipe.input)} does not exist (yet): sync its source or run its model."
            return [StepProblemOut(step=0, step_id=None, message=message)]
        others = {s.key: cols for s in recipe.inputs()[1:] if (cols := self.columns_of(con, s)) is not None}
        models = {r.model_name: r for rid, r in parsed.items() if rid != row.id}
        return [_problem(p) for p in validate(recipe, columns, others, models=models)]

    def _other_models(self, ctx: OrgContext, row: RecipeRow) -> dict[str, Recipe]:
        """The org's other recipes by model name, so a recipe reading its own output is caught as a cycle."""
        return {r.model_name: self.recipe(r) for r in self.list_all(ctx) if r.id != row.id}

    def _data_version(self, ctx: OrgContext) -> str:
        return self._repo.data_version(ctx.org_id)

    def preview(
        self, ctx: OrgContext, recipe_id: str, upto: int | None, limit: int, sample: int | None
    ) -> dict[str, Any]:
        row = self.get(ctx, recipe_id)
        recipe = self.recipe(row)
        cache = self.caches.setdefault(ctx.org.slug, PreviewCache())
        result = preview(
            self._con(ctx),
            recipe,
            input_relation=relation_of(recipe.input),
            upto=upto,
            limit=limit,
            sample=sample,
            relations={s.key: relation_of(s) for s in recipe.inputs()[1:]},
            cache=cache,
            data_version=self._data_version(ctx),
        )
        return {
            "columns": [{"name": c.name, "type": c.type} for c in result.columns],
            "rows": result.rows,
            "total": result.total,
            "sampled": result.sampled,
            "warnings": result.warnings,
            "upto": len(recipe.steps) if upto is None else upto,
        }

    def preview_filtered(
        self, ctx: OrgContext, recipe_id: str, upto: int | None, limit: int, sample: int | None, filters: list[Filter]
    ) -> dict[str, Any]:
        """The preview restricted to rows matching `filters` (facet selections); the recipe is unchanged."""
        row = self.get(ctx, recipe_id)
        recipe = self.recipe(row)
        # The plain preview first: it reports failing steps and conversion warnings, and caches the output.
        plain_view = self.preview(ctx, recipe_id, upto, 1, sample)
        con = self._con(ctx)
        relation = output_relation(
            con,
            recipe,
            input_relation=relation_of(recipe.input),
            upto=upto,
            sample=sample,
            relations={s.key: relation_of(s) for s in recipe.inputs()[1:]},
            cache=self.caches.setdefault(ctx.org.slug, PreviewCache()),
            data_version=self._data_version(ctx),
        )
        where = (
            f"after step {plain_view['upto']} of '{row.name}'"
            if plain_view["upto"]
            else f"in the input of '{row.name}'"
        )
        columns, rows, total = filtered_page(con, relation, filters, limit, where)
        return {**plain_view, "columns": columns, "rows": rows, "total": total}

    def _relation(self, ctx: OrgContext, row: RecipeRow, upto: int | None) -> tuple[duckdb.DuckDBPyConnection, str]:
        recipe = self.recipe(row)
        con = self._con(ctx)
        rel = compiled_relation(
            con,
            recipe,
            input_relation=relation_of(recipe.input),
            upto=upto,
            relations={s.key: relation_of(s) for s in recipe.inputs()[1:]},
        )
        return con, rel

    def facet(
        self,
        ctx: OrgContext,
        recipe_id: str,
        column: str,
        kind: str,
        upto: int | None,
        limit: int,
        filters: list[Filter] | None = None,
    ) -> Any:
        con, rel = self._relation(ctx, self.get(ctx, recipe_id), upto)
        chosen = facet_selections(filters or [])  # other facets' selections; its own column's is skipped
        if kind == "numeric":
            return numeric_facet(con, rel, column, filters=chosen)
        if kind == "date":
            return date_facet(con, rel, column, filters=chosen)
        return text_facet(con, rel, column, limit=limit, filters=chosen)

    def clusters(
        self,
        ctx: OrgContext,
        recipe_id: str,
        column: str,
        method: str,
        upto: int | None,
        ngram_size: int,
        radius: int | None = None,
    ) -> Any:
        con, rel = self._relation(ctx, self.get(ctx, recipe_id), upto)
        return cluster_column(con, rel, column, method=method, ngram_size=ngram_size, radius=radius)  # type: ignore[arg-type]

    def date_formats(self, ctx: OrgContext, recipe_id: str, column: str, upto: int | None) -> Any:
        """Which common date formats the text of `column` is written in (on its most frequent values)."""
        from pipelines.recipes.datefmt import detect_formats

        con, rel = self._relation(ctx, self.get(ctx, recipe_id), upto)
        if column not in {c.name for c in describe_relation(con, rel)}:
            raise InvalidStep(f"There is no column {column} at this step.")
        return detect_formats(con, rel, quote_ident(column))

    def accept_clusters(
        self, ctx: OrgContext, recipe_id: str, column: str, merges: list[tuple[list[Any], Any]]
    ) -> RecipeRow:
        self.get(ctx, recipe_id)  # a missing recipe is a 404 before the merges are looked at
        try:
            step = merge_step(column, merges)
        except ValidationError as err:
            raise InvalidStep(f"The merge is not valid: {readable(err)}") from err
        return self.add_step(ctx, recipe_id, step.op, step.config, None)

    # --- saving to dbt -----------------------------------------------------------------------------
    def save(self, ctx: OrgContext, recipe_id: str, ip: str) -> SavedModel:
        row = self.get(ctx, recipe_id)
        if row.status == "ejected":
            raise RecipeEjected(f"'{row.name}' was ejected to a SQL model; edit that model instead.")
        recipe = self.recipe(row)
        check_cycles(recipe, self._other_models(ctx, row))
        con = self._con(ctx)
        columns = self.columns_of(con, recipe.input)
        if columns is None:
            raise InvalidStep(f"The input {relation_of(recipe.input)} does not exist; sync its source first.")
        others = {s.key: cols for s in recipe.inputs()[1:] if (cols := self.columns_of(con, s)) is not None}
        workspace = self.workspaces.get(ctx.org.slug)
        files = render_model(recipe, workspace.dialect, input_columns=columns, other_inputs=others)
        from pipelines.dbt.sources import raw_tables_from_duckdb, sync_sources_yml

        sync_sources_yml(workspace.project, raw_tables_from_duckdb(con))
        path = workspace.project.write_model(files.name, files.sql, files.schema_yml, replace=True)
        row.status, row.saved_at = "saved", utcnow()
        self.session.flush()
        AuditService(self.session).record("recipe.saved", actor=ctx.user, org_id=ctx.org_id, target=files.name, ip=ip)
        return SavedModel(
            name=files.name,
            path=str(path.relative_to(workspace.project.path)),
            sql=files.sql,
            schema_yml=files.schema_yml,
        )

    def eject(self, ctx: OrgContext, recipe_id: str, ip: str) -> SavedModel:
        saved = self.save(ctx, recipe_id, ip)
        row = self.get(ctx, recipe_id)
        workspace = self.workspaces.get(ctx.org.slug)
        path = workspace.project.eject_model(saved.name)
        row.status = "ejected"
        self.session.flush()
        return saved.model_copy(update={"path": str(path.relative_to(workspace.project.path))})


def _problem(problem: StepProblem) -> StepProblemOut:
    return StepProblemOut(
        step=problem.step,
        step_id=problem.step_id,
        message=problem.message,
        column=problem.column,
        hint=problem.hint,
    )
