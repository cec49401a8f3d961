"""The Pipelines page: the org's pipelines (sortable), the editor, run now / cancel, a run on screen, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.client.data_models import Source
from desktop.client.errors import ApiError, Conflict, Forbidden, NotFound, ServerUnreachable, SessionExpired, message
from desktop.client.models import Membership
from desktop.client.pipelines_models import Pipeline, RunDetail, RunStarted
from desktop.state import access
from desktop.state.actions import GuardedActions
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.pipeline_drafts import PipelineDraft
from desktop.state.pipeline_runs import RunHistory, RunView, scoped
from desktop.state.pipeline_words import kind_name, status_name
from desktop.state.session import AppState

Failed = Callable[[str], None]
NOT_ABOUT_THE_FORM = (SessionExpired, ServerUnreachable, Forbidden)  # the app's error handling, not the editor
SORT_KEYS: dict[str, Callable[[Pipeline], Any]] = {
    "name": lambda p: p.name.lower(),
    "last": lambda p: (p.last_run.started_at or p.last_run.created_at).timestamp() if p.last_run else 0.0,
    "next": lambda p: p.next_run_at.timestamp() if p.next_run_at and p.enabled else float("inf"),
    "status": lambda p: p.last_run.status if p.last_run else "",
}


class PipelinesModel(GuardedActions):
    """View model of the Pipelines page; results for an org the user has since left are dropped."""

    def __init__(self, app: AppState, poll_interval: float = 1.0) -> None:
        self.app = app
        self.pipelines: list[Pipeline] = []
        self.kinds: dict[str, str] = {}  # task kind → the server's name, for kinds this page has no words for
        self.available: set[str] = set()
        self.sources: list[Source] = []
        self.models: list[str] = []  # cleaned tables the transform/test pickers offer
        self.selected_id: str | None = None
        self.loading = self.loaded = self.forbidden = self.active = False
        self.busy: str | None = None
        self.sort_key, self.sort_desc = "name", False
        self.run_view = RunView(app, poll_interval)
        self.history = RunHistory(app)
        self.changed = Event()  # ()
        self.unsaved = False  # the open editor holds changes
        self.unsaved_changed = Event()  # (bool)
        self._generation = 0
        app.org_changed.connect(self._org_changed)
        self.run_view.ended.connect(self._run_ended)

    # --- what the user may do ---------------------------------------------------------------------
    @property
    def can_read(self) -> bool:
        return access.may(self.app.org, "pipelines:read") and not self.forbidden

    @property
    def can_write(self) -> bool:
        return access.may(self.app.org, "pipelines:write")

    @property
    def can_run(self) -> bool:
        return access.may(self.app.org, "pipelines:run")

    def why_not(self) -> str:
        """The tooltip on a disabled Run / Edit button."""
        role = self.app.org.role if self.app.org else "none"
        return f"Your role ({role}) can look at pipelines and their runs, but only an admin can change or run them."

    # --- the list ---------------------------------------------------------------------------------
    def rows(self) -> list[Pipeline]:
        return sorted(self.pipelines, key=SORT_KEYS[self.sort_key], reverse=self.sort_desc)

    def sort(self, key: str) -> None:
        """Sort by a column; choosing the same column again flips the order."""
        self.sort_desc = not self.sort_desc if key == self.sort_key else key == "last"
        self.sort_key = key
        self.changed.emit()

    @property
    def selected(self) -> Pipeline | None:
        return next((p for p in self.pipelines if p.id == self.selected_id), None)

    def select(self, pipeline_id: str | None) -> None:
        """Show a pipeline: its history, and its running or latest run."""
        if pipeline_id == self.selected_id:
            return
        self.selected_id = pipeline_id
        self.run_view.clear()
        self.changed.emit()
        pipeline = self.selected
        if pipeline is not None:
            self.history.open(pipeline.id)
            if pipeline.last_run is not None:
                self.run_view.show(pipeline.last_run.id)

    def open_run(self, run_id: str) -> None:
        """Show a run from elsewhere (a notification): select its pipeline, then the run."""
        client, slug = scoped(self.app)

        def done(run: RunDetail) -> None:
            if self.selected_id != run.pipeline_id:
                self.selected_id = None  # select() below then opens the history afresh
                self.select(run.pipeline_id)
            self.run_view.clear()
            self.run_view.show(run.id)

        self.app.submit(lambda: client.get_run(run_id, org=slug), done)

    def kind_name(self, kind: str) -> str:
        return kind_name(kind, self.kinds)

    def source_name(self, source_id: str | None) -> str:
        return next((s.name for s in self.sources if s.id == source_id), "a deleted source")

    def source_tables(self, source_id: str, done: Callable[[list[str]], None]) -> None:
        """The tables a source syncs (its chosen ones, else all it offers), for the editor's table list."""
        client, slug = scoped(self.app)

        def tables(source: Source) -> list[str]:
            if source.streams:
                return [s.name for s in source.streams]
            return [s.name for s in source.catalog or []]

        self.app.submit(lambda: tables(client.get_source(source_id, org=slug)), done)

    def set_unsaved(self, unsaved: bool) -> None:
        if unsaved != self.unsaved:
            self.unsaved = unsaved
            self.unsaved_changed.emit(unsaved)

    def _org_changed(self, membership: Membership | None) -> None:
        self._generation += 1
        self.pipelines, self.sources, self.models, self.selected_id = [], [], [], None
        self.forbidden = self.loaded = False
        self.busy = None
        self.set_unsaved(False)
        self.changed.emit()
        if self.active and membership is not None:
            self.load()

    def load(self) -> None:
        """Fetch the pipelines, and what the editor offers: task kinds, sources and cleaned tables."""
        self.active = True
        if self.app.org is None or self.app.client is None or not access.may(self.app.org, "pipelines:read"):
            self.changed.emit()
            return
        client, slug = scoped(self.app)
        generation, editor = self._generation, self.can_write

        def work() -> tuple[list[Pipeline], Any]:
            pipelines = client.list_pipelines(org=slug).items
            if not editor:
                return pipelines, None
            kinds = client.list_task_kinds(org=slug).items
            sources = client.list_sources(org=slug).items
            models = [str(m.get("name")) for m in client.list_models(org=slug)]
            return pipelines, (kinds, sources, models)

        def done(result: tuple[list[Pipeline], Any]) -> None:
            if generation != self._generation:
                return
            self.pipelines, extra = result
            if extra is not None:
                kinds, self.sources, self.models = extra
                self.kinds = {k.kind: k.name for k in kinds}
                self.available = {k.kind for k in kinds if k.available}
            if self.selected_id and self.selected is None:
                self.selected_id = None
                self.run_view.clear()
            self.loading, self.loaded, self.forbidden = False, True, False
            if self.selected_id is None and self.pipelines:
                self.select(self.rows()[0].id)  # the page opens on a pipeline, not on an empty half
            self.changed.emit()
            self._follow_running()

        self.loading = True
        self.changed.emit()
        self.app.submit(work, done, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self.loading = False
        self.forbidden = isinstance(err, Forbidden)  # a page state, not an error
        self.changed.emit()
        if not self.forbidden:
            self.app.handle_error(err)

    def _follow_running(self) -> None:
        """A run going on the selected pipeline (started by the schedule or someone else) is shown live."""
        pipeline = self.selected
        if pipeline is not None and pipeline.last_run is not None and pipeline.last_run.active:
            self.run_view.show(pipeline.last_run.id)

    def _replace(self, pipeline: Pipeline) -> None:
        self.pipelines = [pipeline if p.id == pipeline.id else p for p in self.pipelines]
        if all(p.id != pipeline.id for p in self.pipelines):
            self.pipelines.append(pipeline)
        self.changed.emit()

    # --- create, edit, delete ---------------------------------------------------------------------
    def save(self, draft: PipelineDraft, then: Callable[[], None] | None = None, failed: Failed | None = None) -> None:
        """Create or update; a refusal goes to `failed` (the editor stays open with what was typed)."""
        problem = draft.problem()
        if problem:
            (failed or self._banner_error)(problem)
            return
        client, slug = scoped(self.app)
        specs, schedule = draft.specs(), draft.schedule.body()
        name, enabled, pipeline_id = draft.name.strip(), draft.enabled, draft.pipeline_id

        def work() -> Pipeline:
            if pipeline_id is None:
                return client.create_pipeline(name, specs, schedule, enabled, org=slug)
            return client.update_pipeline(
                pipeline_id, name=name, tasks=specs, schedule=schedule, enabled=enabled, org=slug
            )

        def done(pipeline: Pipeline) -> None:
            draft.pipeline_id = pipeline.id
            draft.mark_saved()
            self.set_unsaved(False)
            self._replace(pipeline)
            self.select(pipeline.id)
            note = f" Next run: {pipeline.next_run_local}." if pipeline.next_run_local and pipeline.enabled else ""
            warnings = " ".join(pipeline.warnings)
            self.app.banner.show(f"Saved {pipeline.name}.{note} {warnings}".strip(), Level.success)
            if then:
                then()

        def refused(err: BaseException) -> None:
            if failed is not None and isinstance(err, ApiError) and not isinstance(err, NOT_ABOUT_THE_FORM):
                failed(message(err))
            else:
                self.app.handle_error(err)

        self._act("save", work, done, refused)

    def _banner_error(self, text: str) -> None:
        self.app.banner.show(text, Level.error)

    def delete(self, pipeline: Pipeline, then: Callable[[], None] | None = None) -> None:
        client, slug = scoped(self.app)

        def done(_result: None) -> None:
            self.pipelines = [p for p in self.pipelines if p.id != pipeline.id]
            if self.selected_id == pipeline.id:
                self.selected_id = None
                self.run_view.clear()
                self.history.clear()
            self.app.banner.show(f"Deleted {pipeline.name}. Its tables stay in your data.", Level.success)
            if then:
                then()

        self._act("delete", lambda: client.delete_pipeline(pipeline.id, org=slug), done)

    # --- run now, cancel --------------------------------------------------------------------------
    def run_now(self, pipeline: Pipeline) -> None:
        """Start a run and show it live; a run already going is named (who started it) and shown instead."""
        client, slug = scoped(self.app)
        self.select(pipeline.id)

        def done(started: RunStarted) -> None:
            self.app.banner.show(f"{pipeline.name} is running.", Level.info)
            self.run_view.clear()
            self.run_view.show(started.run_id)
            self.history.load()

        def refused(err: BaseException) -> None:
            if isinstance(err, Conflict):
                self.app.banner.show(err.detail, Level.warning)
                self.load()  # the running run shows live through _follow_running
            elif isinstance(err, NotFound):
                self.app.banner.show(err.detail, Level.error)
                self.load()
            else:
                self.app.handle_error(err)

        self._act("run", lambda: client.run_pipeline(pipeline.id, org=slug), done, refused)

    def cancel(self) -> None:
        """Ask the server to stop the run on screen; the polling sees it end as cancelled."""
        run = self.run_view.run
        if run is None or not run.active:
            return
        client, slug = scoped(self.app)
        self.app.banner.show("Cancelling the run: the task going now stops cleanly…", Level.info)
        self._act("cancel", lambda: client.cancel_run(run.id, org=slug), lambda _run: None)

    def _run_ended(self, run: RunDetail) -> None:
        """A watched run finished: say how, refresh the list (bars, last run) and the history."""
        level = {"succeeded": Level.success, "failed": Level.error, "warned": Level.warning}.get(run.status, Level.info)
        cause = f" {run.cause}" if run.cause and run.status != "succeeded" else ""
        hint = f" → {run.hint}" if run.hint and run.status != "succeeded" else ""
        self.app.banner.show(f"{run.pipeline_name}: {status_name(run.status).lower()}.{cause}{hint}", level)
        self.load()
        self.history.load()
