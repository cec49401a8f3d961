"""The server's task kinds: sync sources, run transforms, run dbt tests (later kinds refuse until they land)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session, sessionmaker

from pipelines.errors import Cancelled, NotFoundError, PipelineError, TerminalError, TransientError
from pipelines.runs.registry import TaskConfig, TaskIO, TaskKind, TaskRegistry, TaskResult, Unavailable
from server.core.config import Settings
from server.core.db import session_scope
from server.core.deps import OrgContext
from server.core.errors import AppError
from server.core.security import SecretBox
from server.core.storage import OrgStorage
from server.models import Source
from server.sources.service import SourceService
from server.transforms.service import TransformService
from server.transforms.workspace import Workspaces

SELECTOR_NAME = re.compile(r"^\d*\+?@?([A-Za-z_][A-Za-z0-9_]*)\+?\d*$")  # "model", "+model+", "2+model"


@dataclass
class RunContext:
    """What the server's tasks need: the org acting, and the server's shared services."""

    org: OrgContext
    session_factory: sessionmaker[Session]
    settings: Settings
    storage: OrgStorage
    workspaces: Workspaces
    box: SecretBox

    def sources(self, session: Session) -> SourceService:
        return SourceService(session, self.settings, self.storage, self.box)

    def transforms(self, session: Session) -> TransformService:
        return TransformService(session, self.settings, self.storage, self.workspaces)


class SyncConfig(TaskConfig):
    source_id: str = Field(description="the source to sync")
    streams: list[str] | None = Field(default=None, description="the tables to sync; default every chosen one")


class SelectConfig(TaskConfig):
    select: list[str] | None = Field(default=None, description="dbt selectors or cleaned-table names; default all")


def _engine_error(err: AppError) -> TerminalError:
    return TerminalError(err.detail, hint="Fix it on the Sources page, then run the pipeline again.")


def _refuse_while_synced_by_hand(job: Any, name: str) -> None:
    """Two syncs of one source at once could mix their batches: wait (retry) while a hand-started one runs."""
    if job is None:
        return
    since = job.started_at or job.created_at
    raise TransientError(
        f"{name} is being synced by hand right now (started by {job.created_by_email or 'someone'} "
        f"at {since:%H:%M} UTC)",
        hint="The task tries again after a pause; give it retries, or run the pipeline when that sync is done.",
        retry_after=5.0,
    )


class SyncTask(TaskKind[SyncConfig]):
    kind = "sync"
    display_name = "Sync a source"
    config_model = SyncConfig

    def _source(self, config: SyncConfig, context: RunContext, session: Session) -> Source:
        try:
            return context.sources(session).get(context.org, config.source_id)
        except AppError as err:
            raise NotFoundError(
                f"The source this task syncs (id {config.source_id}) was deleted.",
                hint="Edit the pipeline: remove this task or choose another source.",
            ) from err

    def describe(self, config: SyncConfig, context: RunContext) -> str:
        with session_scope(context.session_factory) as session:
            try:
                name = self._source(config, context, session).name
            except NotFoundError:
                return "Sync a deleted source"
        chosen = f" ({', '.join(config.streams)})" if config.streams else ""
        return f"Sync {name}{chosen}"

    def validate(self, config: SyncConfig, context: RunContext) -> None:
        with session_scope(context.session_factory) as session:
            source = self._source(config, context, session)
            known = {s["name"] for s in source.catalog or []} | {s["name"] for s in source.streams or []}
            missing = sorted(set(config.streams or []) - known) if known else []
            if missing:
                raise NotFoundError(
                    f"{source.name} has no table named {', '.join(missing)} any more.",
                    hint="Edit the pipeline and choose the tables again.",
                )

    def run(self, config: SyncConfig, context: RunContext, io: TaskIO) -> TaskResult:
        from pipelines.ingest import run_sync

        with session_scope(context.session_factory) as session:
            source = self._source(config, context, session)
            _refuse_while_synced_by_hand(context.sources(session).running_sync(context.org, source.id), source.name)
            try:
                prepared = context.sources(session).prepare_sync(context.org, config.source_id, config.streams)
            except AppError as err:
                raise _engine_error(err) from err
        prepared.read_ctx.cancel_event = io.cancel
        prepared.read_ctx.progress = io.progress
        io.log(f"syncing {len(prepared.chosen)} table(s) of {prepared.name} into {prepared.schema}")
        con = context.storage.duckdb(context.org.org.slug).cursor()
        result = run_sync(
            prepared.connector,
            prepared.config,
            prepared.chosen,
            con=con,
            schema=prepared.schema,
            ctx=prepared.read_ctx,
            batch_id=f"{io.run_id}-{io.position}",
        )
        io.log(f"{result.rows} rows into {', '.join(result.tables_written) or 'no tables'}")
        warning = "; ".join(result.warnings) or None
        return TaskResult(rows=result.rows, message=warning, details={"tables": result.tables_written})


class _DbtTask(TaskKind[SelectConfig]):
    config_model = SelectConfig
    command = "run"

    def describe(self, config: SelectConfig, context: RunContext) -> str:
        return f"{self.display_name}: {', '.join(config.select)}" if config.select else self.display_name

    def validate(self, config: SelectConfig, context: RunContext) -> None:
        names = [m.group(1) for s in config.select or [] if (m := SELECTOR_NAME.match(s.strip()))]
        if not names:
            return
        project = context.workspaces.get(context.org.org.slug).project
        known = {model.name for model in project.list_models()}
        missing = [n for n in names if n not in known]
        if missing:
            raise NotFoundError(
                f"This task runs {', '.join(missing)}, which no longer exists among your cleaned tables.",
                hint="Edit the pipeline: remove it from the task or choose another cleaned table.",
            )

    def _invoke(self, config: SelectConfig, context: RunContext, io: TaskIO) -> Any:
        self.validate(config, context)
        with session_scope(context.session_factory) as session:
            context.transforms(session).refresh_sources(context.org)
        runner = context.workspaces.get(context.org.org.slug).runner
        io.log(f"dbt {self.command} {' '.join(config.select or ['(all models)'])}")

        def progress(node: Any) -> None:
            io.progress({"node": getattr(node, "name", None), "status": getattr(node, "status", None)})

        result = getattr(runner, self.command)(config.select or None, io.cancel, progress=progress)
        io.log(result.logs)
        if result.cancelled:
            raise Cancelled()
        return result


def _nodes(result: Any) -> list[dict[str, Any]]:
    return [{"name": n.name, "status": n.status, "rows": n.rows_affected, "message": n.message} for n in result.nodes]


def _dbt_failure(command: str, result: Any) -> PipelineError:
    broken = [n for n in result.nodes if n.status == "error"]
    if broken:
        first = broken[0]
        where = f" ({first.file}, line {first.line})" if first.line else ""
        message = (
            f"dbt {command}: {len(broken)} of {len(result.nodes)} failed; first: {first.name}{where}: {first.message}"
        )
    else:
        where = f" ({result.error_file}, line {result.error_line})" if result.error_file else ""
        message = f"dbt could not {command}: {result.error}{where}"
    err = TerminalError(message, hint="Fix the cleaned table named here and run again; the others kept their tables.")
    err.result = {"nodes": _nodes(result)}  # type: ignore[attr-defined]
    return err


class TransformTask(_DbtTask):
    kind = "transform"
    display_name = "Run transforms"

    def run(self, config: SelectConfig, context: RunContext, io: TaskIO) -> TaskResult:
        result = self._invoke(config, context, io)
        if not result.success:
            raise _dbt_failure("run", result)
        rows = sum(n.rows_affected or 0 for n in result.nodes)
        return TaskResult(rows=rows, details={"nodes": _nodes(result)})


class TestTask(_DbtTask):
    """dbt test: failing data tests make the task (and a run with nothing worse) warned, not failed."""

    kind = "test"
    display_name = "Run data tests"
    command = "test"

    def run(self, config: SelectConfig, context: RunContext, io: TaskIO) -> TaskResult:
        result = self._invoke(config, context, io)
        if any(n.status == "error" for n in result.nodes) or (not result.success and not result.nodes):
            raise _dbt_failure("test", result)
        failing = [n for n in result.nodes if n.status in ("fail", "warn")]
        if not failing:
            return TaskResult(details={"nodes": _nodes(result)})
        names = ", ".join(n.name for n in failing[:5])
        message = f"{len(failing)} of {len(result.nodes)} data tests found problems: {names}"
        return TaskResult(status="warned", message=message, details={"nodes": _nodes(result)})


class WarehouseSyncTask(Unavailable):
    kind = "warehouse_sync"
    display_name = "Send to the hosted warehouse"
    unavailable_reason = "sending cleaned tables to Postgres or BigQuery comes in a later version."


class ChartRefreshTask(Unavailable):
    kind = "chart_refresh"
    display_name = "Refresh charts"
    unavailable_reason = "charts come in a later version."


def build_registry() -> TaskRegistry:
    registry = TaskRegistry()
    for kind in (SyncTask(), TransformTask(), TestTask(), WarehouseSyncTask(), ChartRefreshTask()):
        registry.register(kind)
    return registry


def task_config(spec: dict[str, Any]) -> dict[str, Any]:
    """The kind's config fields of a stored task (the rest is the run policy)."""
    if spec["kind"] == "sync":
        return {"source_id": spec.get("source_id") or "", "streams": spec.get("streams")}
    if spec["kind"] in ("transform", "test"):
        return {"select": spec.get("select")}
    return {}
