"""The org's dbt project: models (recipe, SQL, imported), runs and tests as jobs, lineage, import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pipelines.errors import PipelineError
from server.audit.service import AuditService
from server.core.config import Settings
from server.core.deps import OrgContext
from server.core.storage import OrgStorage
from server.jobs.runner import JobContext
from server.jobs.service import JobService
from server.models import Job
from server.transforms.errors import TransformError
from server.transforms.repository import TransformsRepository
from server.transforms.workspace import Workspace, Workspaces

RUN_KINDS = {"run": "dbt_run", "test": "dbt_test", "build": "dbt_build"}


def _failure(command: str, result: Any, payload: dict[str, Any]) -> PipelineError:
    """A failed dbt command in plain words, naming the first broken model and line; keeps per-node results."""
    broken = [n for n in result.nodes if n.status in ("error", "fail")]
    if broken:
        first = broken[0]
        where = f" ({first.file}, line {first.line})" if first.line else ""
        message = (
            f"dbt {command}: {len(broken)} of {len(result.nodes)} failed; first: {first.name}{where}: {first.message}"
        )
    else:
        where = f" ({result.error_file}, line {result.error_line})" if result.error_file else ""
        message = f"dbt could not {command}: {result.error}{where}"
    err = PipelineError(
        message, hint="Fix the model named in the message and run again; other models kept their tables."
    )
    err.result = payload  # type: ignore[attr-defined]
    return err


class TransformService:
    def __init__(self, session: Session, settings: Settings, storage: OrgStorage, workspaces: Workspaces) -> None:
        self.session = session
        self.settings = settings
        self.storage = storage
        self.workspaces = workspaces

    def workspace(self, ctx: OrgContext) -> Workspace:
        return self.workspaces.get(ctx.org.slug)

    def refresh_sources(self, ctx: OrgContext) -> None:
        """sources.yml follows the raw schemas of the warehouse: new tables appear without user action."""
        from pipelines.dbt.sources import raw_tables_from_duckdb, sync_sources_yml

        sync_sources_yml(
            self.workspace(ctx).project, raw_tables_from_duckdb(self.storage.duckdb(ctx.org.slug).cursor())
        )

    def list_models(self, ctx: OrgContext) -> list[dict[str, Any]]:
        recipes = TransformsRepository(self.session).recipes_by_model(ctx.org_id)
        last = self._last_node_results(ctx)
        items = []
        for model in self.workspace(ctx).project.list_models():
            recipe = recipes.get(model.name)
            kind = "recipe" if model.folder == "recipes" else "sql" if model.folder == "sql" else "imported"
            items.append(
                {
                    "name": model.name,
                    "folder": model.folder,
                    "kind": kind,
                    "recipe_id": recipe.id if recipe else None,
                    "last_run": last.get(model.name),
                }
            )
        return items

    def _last_node_results(self, ctx: OrgContext) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for job in TransformsRepository(self.session).recent_jobs_with_results(ctx.org_id, list(RUN_KINDS.values())):
            for node in (job.result or {}).get("nodes", []):
                found.setdefault(
                    node.get("name"),
                    {**node, "job_id": job.id, "at": job.finished_at.isoformat() if job.finished_at else None},
                )
        return found

    def read_model(self, ctx: OrgContext, name: str) -> dict[str, Any]:
        model = self.workspace(ctx).project.read_model(name)
        return {
            "name": model.name,
            "folder": model.folder,
            "sql": model.sql,
            "schema_yml": model.schema_yml,
            "editable": model.folder != "recipes",
        }

    def write_sql_model(self, ctx: OrgContext, name: str, sql: str, *, replace: bool, ip: str) -> dict[str, Any]:
        project = self.workspace(ctx).project
        if replace:
            current = project.read_model(name)
            if current.folder == "recipes":
                raise TransformError(
                    f"'{name}' is generated from a recipe; edit the recipe, or eject it to edit the SQL."
                )
            project.write_model(name, sql, None, current.folder, replace=True)
        else:
            project.write_sql_model(name, sql)
        AuditService(self.session).record("model.saved", actor=ctx.user, org_id=ctx.org_id, target=name, ip=ip)
        return self.read_model(ctx, name)

    def delete_model(self, ctx: OrgContext, name: str, ip: str) -> None:
        self.workspace(ctx).project.delete_model(name)
        AuditService(self.session).record("model.deleted", actor=ctx.user, org_id=ctx.org_id, target=name, ip=ip)

    def start(self, ctx: OrgContext, command: str, select_: list[str] | None, jobs: JobService) -> Job:
        """Run/test/build as a background job; one dbt job per org at a time."""
        if command not in RUN_KINDS:
            raise TransformError(f"Unknown command '{command}'.")
        workspace = self.workspace(ctx)
        self.refresh_sources(ctx)
        label = f"dbt {command}"

        def run(job: JobContext) -> dict[str, Any]:
            def on_node(node: Any) -> None:
                job.progress(
                    {
                        "node": getattr(node, "name", None),
                        "status": getattr(node, "status", None),
                        "done": getattr(node, "index", None),
                        "total": getattr(node, "total", None),
                    }
                )

            job.log(f"{label} {' '.join(select_ or ['(all models)'])}")
            result = getattr(workspace.runner, command)(select_ or None, job.cancel_event, progress=on_node)
            job.log(result.logs)
            payload: dict[str, Any] = result.to_dict()
            payload.pop("compiled", None)
            payload.pop("logs", None)
            if result.cancelled:
                from pipelines.errors import Cancelled

                raise Cancelled()
            if not result.success:
                raise _failure(command, result, payload)
            return payload

        return jobs.start(ctx, RUN_KINDS[command], "dbt", label, run)

    def lineage(self, ctx: OrgContext, node: str | None) -> dict[str, Any]:
        graph = self.workspace(ctx).runner.lineage()
        out: dict[str, Any] = {
            "nodes": [{"id": n.id, "name": n.name, "kind": n.kind, "label": n.label} for n in graph.nodes.values()],
            "edges": [{"from": p, "to": c} for p, children in graph.children.items() for c in sorted(children)],
        }
        if node:
            out["upstream"] = [n.name for n in graph.upstream(node)]
            out["downstream"] = [n.name for n in graph.downstream(node)]
        return out

    def lineage_png(self, ctx: OrgContext, node: str | None) -> Path:
        from pipelines.dbt.lineage_draw import draw_lineage

        graph = self.workspace(ctx).runner.lineage()
        path = self.storage.subdir(ctx.org.slug, "exports") / "lineage.png"
        return draw_lineage(graph, path, graph.resolve(node) if node else None)

    def import_project(self, ctx: OrgContext, path: str, ip: str) -> dict[str, Any]:
        if not self.settings.local_paths_allowed:
            raise TransformError("This server does not read folders from its own disk; import from the desktop app.")
        from pipelines.dbt.importer import import_dbt_project

        workspace = self.workspace(ctx)
        report = import_dbt_project(Path(path), workspace.project)
        workspace.runner.invalidate()
        AuditService(self.session).record(
            "dbt.imported", actor=ctx.user, org_id=ctx.org_id, target=report.project_name, ip=ip
        )
        return {
            "project_name": report.project_name,
            "models": report.models,
            "packages": report.packages,
            "notes": report.notes,
        }
