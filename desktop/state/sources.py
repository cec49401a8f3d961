"""The Sources page: the org's sources and connectors, and adding, editing, testing and discovering them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.client import DalgoClient
from desktop.client.data_api import TransferCancelled
from desktop.client.data_models import CatalogStream, CheckResult, Connector, Source, StreamConfig, Upload
from desktop.client.errors import Forbidden, NotFound
from desktop.client.models import Membership
from desktop.state import access, words
from desktop.state.actions import GuardedActions
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.session import AppState, Then
from desktop.state.source_syncs import SourceSyncs, job_rows
from desktop.state.spec_form import UPLOAD, is_file_connector
from desktop.state.transfer import Transfer

SORT_KEYS: dict[str, Callable[[Source], Any]] = {
    "name": lambda s: s.name.lower(),
    "type": lambda s: s.type,
    "status": lambda s: s.last_sync.status if s.last_sync else "",
    "synced": lambda s: (s.last_sync.started_at or s.last_sync.created_at).timestamp() if s.last_sync else 0.0,
    "rows": lambda s: job_rows(s.last_sync) or 0,
}
FILE_TYPES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".json": "json", ".ndjson": "json",
              ".jsonl": "json", ".parquet": "parquet"}  # fmt: skip
MODE_LABELS = {key: mode.label for key, mode in words.SYNC_MODES.items()}


def connector_for_file(path: Path) -> str | None:
    """The file connector that reads a dropped file, by its extension."""
    return FILE_TYPES.get(path.suffix.lower())


@dataclass
class StreamChoice:
    """One row of the streams table: the discovered stream and what the user picked for it."""

    stream: CatalogStream
    selected: bool
    sync_mode: str = "full_refresh"
    cursor_field: str | None = None
    primary_key: list[str] = field(default_factory=list)

    def problem(self) -> str | None:
        """What the server would refuse, said before asking it."""
        if not self.selected or self.sync_mode == "full_refresh":
            return None
        if not self.cursor_field:
            return (
                f"Table '{self.stream.name}': pick the column that shows what changed (a date or number that grows) "
                "to add only new rows."
            )
        if self.sync_mode == "incremental_dedup" and not self.primary_key:
            return f"Table '{self.stream.name}': pick its unique ID column to update changed rows."
        return None

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.stream.name,
            sync_mode=self.sync_mode,
            cursor_field=self.cursor_field,
            primary_key=list(self.primary_key),
        )


def stream_choices(source: Source) -> list[StreamChoice]:
    """The catalog with the saved choices applied; streams not saved start unselected with their defaults."""
    saved = {s.name: s for s in source.streams or []}
    choices = []
    for stream in source.catalog or []:
        picked = saved.get(stream.name)
        choices.append(
            StreamChoice(
                stream=stream,
                selected=picked is not None,
                sync_mode=picked.sync_mode if picked else "full_refresh",
                cursor_field=(picked.cursor_field if picked else None) or stream.default_cursor,
                primary_key=list((picked.primary_key if picked else None) or stream.primary_key),
            )
        )
    return choices


def unsaved(source: Source | None, choices: list[StreamChoice]) -> bool:
    """Whether the ticks and modes on screen differ from what is saved for `source`."""
    if source is None:
        return False
    shown = [(c.stream.name, c.selected, c.sync_mode, c.cursor_field, c.primary_key) for c in choices]
    saved = [(c.stream.name, c.selected, c.sync_mode, c.cursor_field, c.primary_key) for c in stream_choices(source)]
    return shown != saved


class SourcesModel(GuardedActions):
    """View model of the Sources page; results for an org the user has since left are dropped."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.sources: list[Source] = []
        self.connectors: list[Connector] = []
        self.selected_id: str | None = None
        self.loading = False
        self.loaded = False
        self.forbidden = False
        self.active = False
        self.busy: str | None = None  # "check" / "discover" / ... while one runs on the selected source
        self.sort_key, self.sort_desc = "name", False
        self.syncs = SourceSyncs(app)
        self.changed = Event()  # ()
        self.unsaved = False  # the streams on screen differ from the saved ones
        self.unsaved_changed = Event()  # (bool)
        self.connectors_loaded = Event()  # ()
        self.checked = Event()  # (Source, CheckResult)
        self._generation = 0
        app.org_changed.connect(self._org_changed)
        self.syncs.finished.connect(lambda _source_id, _job: self.load())

    # --- what the user may do ---------------------------------------------------------------------
    @property
    def can_read(self) -> bool:
        return access.may(self.app.org, "sources:read") and not self.forbidden

    @property
    def can_write(self) -> bool:
        return access.may(self.app.org, "sources:write")

    @property
    def can_sync(self) -> bool:
        return access.may(self.app.org, "sources:sync")

    # --- the list ---------------------------------------------------------------------------------
    def rows(self) -> list[Source]:
        return sorted(self.sources, key=SORT_KEYS[self.sort_key], reverse=self.sort_desc)

    def sort(self, key: str) -> None:
        """Sort by a column; choosing the same column again flips the order."""
        self.sort_desc = not self.sort_desc if key == self.sort_key else key in ("synced", "rows")
        self.sort_key = key
        self.changed.emit()

    @property
    def selected(self) -> Source | None:
        return next((s for s in self.sources if s.id == self.selected_id), None)

    def set_unsaved(self, unsaved: bool) -> None:
        if unsaved != self.unsaved:
            self.unsaved = unsaved
            self.unsaved_changed.emit(unsaved)

    def select(self, source_id: str | None) -> None:
        if source_id == self.selected_id:
            return
        self.set_unsaved(False)  # the other source's saved streams are shown afresh
        self.selected_id = source_id
        self.changed.emit()
        if source_id is not None:
            self.syncs.load_history(source_id)
            self._load_detail(source_id)

    def _load_detail(self, source_id: str) -> None:
        """The list carries counts, not catalogs: fetch the selected source whole (its streams and columns)."""
        if self.app.client is None or self.app.org is None:
            return
        client, slug, generation = self._scope()

        def done(source: Source) -> None:
            if generation == self._generation and any(s.id == source.id for s in self.sources):
                self._replace(source)

        def failed(err: BaseException) -> None:
            # Deleted meanwhile (by this user or another): the list drops it; nothing to report.
            if not isinstance(err, NotFound):
                self.app.handle_error(err)

        self.app.submit(lambda: client.get_source(source_id, org=slug), done, failed)

    def connector(self, connector_type: str) -> Connector | None:
        return next((c for c in self.connectors if c.type == connector_type), None)

    def type_name(self, source: Source) -> str:
        connector = self.connector(source.type)
        return connector.name if connector else source.type

    def is_file_source(self, source: Source) -> bool:
        connector = self.connector(source.type)
        return UPLOAD in source.config or bool(connector and is_file_connector(connector.spec))

    def _org_changed(self, membership: Membership | None) -> None:
        self._generation += 1
        self.sources, self.selected_id, self.forbidden, self.loaded, self.busy = [], None, False, False, None
        self.set_unsaved(False)
        self.changed.emit()
        if self.active and membership is not None:
            self.load()

    def _scope(self) -> tuple[DalgoClient, str, int]:
        """The client and org at the moment of the click, so a later org switch cannot redirect the call."""
        if self.app.client is None or self.app.org is None:
            raise RuntimeError("no active organisation")
        return self.app.client, self.app.org.org.slug, self._generation

    def load(self) -> None:
        """Fetch the sources (and, the first time, the connector catalogue) of the active org."""
        self.active = True
        if self.app.org is None or self.app.client is None or not access.may(self.app.org, "sources:read"):
            self.changed.emit()
            return
        client, slug, generation = self._scope()
        need_connectors = not self.connectors

        def work() -> tuple[list[Source], list[Connector]]:
            sources = client.list_sources(org=slug).items
            return sources, client.list_connectors(org=slug).items if need_connectors else self.connectors

        def done(result: tuple[list[Source], list[Connector]]) -> None:
            if generation != self._generation:
                return
            self.sources, connectors = result
            if need_connectors:
                self.connectors = connectors
                self.connectors_loaded.emit()
            if self.selected_id and self.selected is None:
                self.selected_id = None
            if self.selected_id:
                self._load_detail(self.selected_id)
            self.loading, self.loaded, self.forbidden = False, True, False
            self.changed.emit()
            self._follow_running()

        self.loading = True
        self.changed.emit()
        self.app.submit(work, done, self._load_failed)

    def _load_failed(self, err: BaseException) -> None:
        self.loading = False
        if isinstance(err, Forbidden):
            self.forbidden = True  # shown as a page state, not an error
            self.changed.emit()
            return
        self.changed.emit()
        self.app.handle_error(err)

    def _follow_running(self) -> None:
        """Syncs started elsewhere (another user, before a restart) show their progress here too."""
        for source in self.sources:
            if source.last_sync is not None:
                self.syncs.follow(source.id, source.last_sync)

    def _replace(self, source: Source) -> None:
        self.sources = [source if s.id == source.id else s for s in self.sources]
        if all(s.id != source.id for s in self.sources):
            self.sources.append(source)
        self.changed.emit()

    # --- uploads ----------------------------------------------------------------------------------
    def upload(
        self,
        path: Path,
        done: Callable[[Upload], None],
        failed: Callable[[BaseException], None],
        transfer: Transfer | None = None,
    ) -> Transfer:
        """POST the file in the background; the returned Transfer shows its progress and can cancel it."""
        client, slug, _generation = self._scope()
        transfer = transfer or Transfer(f"Uploading {Path(path).name}")

        def work() -> Upload:
            return client.upload_file(Path(path), progress=transfer.report, cancelled=transfer.cancelled, org=slug)

        def finished(upload: Upload) -> None:
            transfer.finished = True
            done(upload)

        def error(err: BaseException) -> None:
            transfer.finished = True
            if isinstance(err, TransferCancelled):
                self.app.banner.show(f"The upload of {Path(path).name} was cancelled.", Level.info)
                return
            failed(err)

        self.app.submit(work, finished, error)
        return transfer

    def upload_new_version(self, source: Source, path: Path) -> Transfer:
        """Replace a file source's file: upload it, then point the source's config at the new upload."""
        client, slug, _generation = self._scope()

        def uploaded(upload: Upload) -> None:
            config = {**source.config, UPLOAD: upload.id}
            message = f"{source.name} now reads {upload.filename}. Sync it to load the new version."
            self._act("update", lambda: client.update_source(source.id, config=config, org=slug), self._saved(message))

        return self.upload(path, uploaded, self.app.handle_error)

    # --- create, edit, delete ---------------------------------------------------------------------
    def _saved(self, message: str, then: Then = None) -> Callable[[Source], None]:
        def done(source: Source) -> None:
            self._replace(source)
            self.app.banner.show(message, Level.success)
            if then:
                then()

        return done

    def create(self, name: str, connector_type: str, config: dict[str, Any], then: Then = None) -> None:
        """POST /sources, select it, and discover its streams straight away."""
        if not name.strip():
            self.app.banner.show("Give the source a name, e.g. 'Household survey 2024'.", Level.error)
            return
        client, slug, _generation = self._scope()

        def done(source: Source) -> None:
            self._replace(source)
            self.select(source.id)
            if then:
                then()
            self.discover(source)

        self._act("create", lambda: client.create_source(name.strip(), connector_type, config, org=slug), done)

    def update(self, source: Source, name: str, config: dict[str, Any], then: Then = None) -> None:
        if not name.strip():
            self.app.banner.show("The source needs a name.", Level.error)
            return
        client, slug, _generation = self._scope()
        work = lambda: client.update_source(source.id, name=name.strip(), config=config, org=slug)  # noqa: E731
        self._act("update", work, self._saved(f"Saved the settings of {name.strip()}.", then))

    def delete(self, source: Source, then: Then = None) -> None:
        client, slug, _generation = self._scope()

        def done(_result: None) -> None:
            self.sources = [s for s in self.sources if s.id != source.id]
            if self.selected_id == source.id:
                self.selected_id = None
            message = f"Deleted {source.name}. Tables already loaded into {source.schema_name} stay in your data."
            self.app.banner.show(message, Level.success)
            if then:
                then()

        self._act("delete", lambda: client.delete_source(source.id, org=slug), done)

    # --- test, discover, streams ------------------------------------------------------------------
    def check(self, source: Source) -> None:
        """Test connection: ok in green, or the connector's message and what to do in the banner."""
        client, slug, _generation = self._scope()

        def done(result: CheckResult) -> None:
            if result.ok:
                self.app.banner.show(result.message, Level.success)
            else:
                hint = f" → {result.hint}" if result.hint else ""
                self.app.banner.show(f"{result.message}{hint}", Level.error)
            self.checked.emit(source, result)

        self._act("check", lambda: client.check_source(source.id, org=slug), done)

    def discover(self, source: Source) -> None:
        """Find the source's streams with their columns, keys and cursors; then reload the source."""
        client, slug, _generation = self._scope()

        def work() -> Source:
            client.discover_source(source.id, org=slug)
            return client.get_source(source.id, org=slug)

        def done(fresh: Source) -> None:
            self._replace(fresh)
            n = len(fresh.catalog or [])
            if n:
                message = (
                    f"Found {words.plural(n, 'table')} in {fresh.name}. "
                    "All are ticked: press Sync now to bring them in, or untick some and save your choices first."
                )
            else:
                message = f"{fresh.name} offers no tables yet; check its settings or the file."
            self.app.banner.show(message, Level.success if n else Level.warning)

        self._act("discover", work, done)

    def save_streams(self, source: Source, choices: list[StreamChoice], then: Then = None) -> None:
        """PUT the picked streams; a missing cursor or key is explained before calling the server."""
        picked = [c for c in choices if c.selected]
        if not picked:
            self.app.banner.show("Tick at least one table to sync.", Level.error)
            return
        problem = next((p for p in (c.problem() for c in picked) if p), None)
        if problem:
            self.app.banner.show(problem, Level.error)
            return
        client, slug, _generation = self._scope()
        configs = [c.config() for c in picked]
        n = len(configs)
        message = f"{source.name} will sync {words.plural(n, 'table')}."

        def saved() -> None:
            self.set_unsaved(False)
            if then:
                then()

        self._act("streams", lambda: client.set_streams(source.id, configs, org=slug), self._saved(message, saved))

    def save_and_sync(self, source: Source, choices: list[StreamChoice]) -> None:
        """Save the streams on screen, then sync with them."""
        self.save_streams(source, choices, then=lambda: self.sync(self.selected or source))

    def sync(self, source: Source) -> None:
        """Sync the saved streams; a source whose streams were never chosen syncs all it offers (the server decides)."""
        chosen = len(source.streams) if source.streams is not None else source.selected_stream_count
        if chosen == 0:
            self.app.banner.show(
                f"Press “{words.LOOK_FOR_TABLES}” on {source.name} and pick tables before syncing.", Level.error
            )
            return
        self.syncs.start(source)
