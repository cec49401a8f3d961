"""QtSourcesPage: the org's sources (sortable), and for the selected one: test, discover, streams, sync, history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.client.data_models import Job, Source
from desktop.state import access, roles, words
from desktop.state.source_syncs import STATUS_LABELS, job_rows, when_text
from desktop.state.sources import SourcesModel, StreamChoice, connector_for_file, unsaved
from desktop.ui.qt_dialogs import QtSaveFirstDialog
from desktop.ui.qt_fit import QtElidedLabel
from desktop.ui.qt_source_dialogs import QtDeleteSourceDialog, QtLogDialog, QtSourceDialog, dropped_file, pick_file
from desktop.ui.qt_streams import QtStreamsTable, QtSyncHistory, QtSyncProgress, table
from desktop.ui.qt_theme import card, label, set_kind
from desktop.ui.qt_transfer import QtTransferBar

SOURCE_COLUMNS = (("name", "Name"), ("type", "Type"), ("status", "Last sync"), ("synced", "When"), ("rows", "Rows"))


def set_card_text(words: QLabel, text: str) -> None:
    """Set a state card's words; a page in a QStackedWidget does not ask a wrapped label its height, so tell it."""
    words.setText(text)
    words.setMinimumHeight(max(0, words.heightForWidth(560 - 64)))  # -1 for empty text


def state_card(title: str, text: str, button: QPushButton | None = None) -> tuple[QWidget, QLabel]:
    """A centred card for an empty or not-allowed page; returns (page, text label)."""
    panel, layout = card(32, 12)
    layout.addWidget(label(title, "Section"), 0, Qt.AlignmentFlag.AlignHCenter)
    words = label(text, "Muted", wrap=True)
    words.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout.addWidget(words)
    if button is not None:
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
    panel.setFixedWidth(560)
    set_card_text(words, text)
    page = QWidget()
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 40, 0, 0)
    outer.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
    outer.addStretch(1)
    return page, words


def stacked_page(page: QWidget, head: QHBoxLayout, *views: QWidget) -> QStackedWidget:
    """The page frame Sources and Data share: a header row over a stack of views (content, empty, not allowed)."""
    stack = QStackedWidget()
    for view in views:
        stack.addWidget(view)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(32, 20, 32, 24)
    layout.setSpacing(10)
    layout.addLayout(head)
    layout.addWidget(stack, 1)
    return stack


class QtSourceDetail(QWidget):
    """Everything about the selected source."""

    def __init__(self, page: QtSourcesPage) -> None:
        super().__init__()
        model = page.model
        self.title = QtElidedLabel("", "PageTitle")
        self.subtitle = label("", "Muted", wrap=True)
        self.check_button = QPushButton("Test connection")
        self.discover_button = QPushButton(words.LOOK_FOR_TABLES)
        self.discover_button.setToolTip(words.LOOK_FOR_TABLES_TIP)
        self.sync_button = QPushButton("Sync now")
        set_kind(self.sync_button, "primary")
        self.edit_button = QPushButton("Edit…")
        self.new_file_button = QPushButton("Upload new version…")
        self.delete_button = QPushButton("Delete…")
        set_kind(self.delete_button, "danger")
        self.check_button.clicked.connect(lambda: model.check(page.current()))  # type: ignore[arg-type]
        self.discover_button.clicked.connect(lambda: model.discover(page.current()))  # type: ignore[arg-type]
        self.sync_button.clicked.connect(page.sync_now)
        self.edit_button.clicked.connect(page.open_edit)
        self.new_file_button.clicked.connect(page.choose_new_version)
        self.delete_button.clicked.connect(page.open_delete)
        self.writes = (
            self.check_button,
            self.discover_button,
            self.edit_button,
            self.new_file_button,
            self.delete_button,
        )
        actions = QHBoxLayout()
        for button in (self.check_button, self.discover_button, self.sync_button, self.edit_button,
                       self.new_file_button):  # fmt: skip
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.delete_button)
        self.upload_bar = QtTransferBar()
        self.progress = QtSyncProgress(lambda: model.syncs.cancel(page.current().id))  # type: ignore[union-attr]
        self.streams = QtStreamsTable(page.save_streams)
        self.streams.on_change = page.streams_edited
        self.history = QtSyncHistory(page.show_log)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.streams, "Tables")
        self.tabs.addTab(self.history, "Sync history")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addLayout(actions)
        layout.addWidget(self.upload_bar)
        layout.addWidget(self.progress)
        layout.addWidget(self.tabs, 1)


class QtSourcesPage(QWidget):
    def __init__(self, model: SourcesModel) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.setAcceptDrops(True)
        self.model = model
        self.dialog: QWidget | None = None
        self._streams_shown: object = None
        self.intro = label("", "Muted", wrap=True)
        self.add_button = QPushButton("Add source")
        set_kind(self.add_button, "primary")
        self.add_button.clicked.connect(lambda: self.open_add())
        head = QHBoxLayout()
        head.addWidget(self.intro, 1)
        head.addWidget(self.add_button)
        self.list = table([title for _key, title in SOURCE_COLUMNS])
        self.list.horizontalHeader().sectionClicked.connect(lambda i: model.sort(SOURCE_COLUMNS[i][0]))
        self.list.horizontalHeader().setSortIndicatorShown(True)
        self.list.itemSelectionChanged.connect(self._picked)
        header = self.list.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(90)
        self.detail = QtSourceDetail(self)
        split = QSplitter(Qt.Orientation.Vertical)  # sources are few: a short list above a full-width detail
        split.addWidget(self.list)
        split.addWidget(self.detail)
        split.setSizes([170, 560])
        split.setChildrenCollapsible(False)
        empty_add = QPushButton("Add a source")
        set_kind(empty_add, "primary")
        empty_add.clicked.connect(lambda: self.open_add())
        self.empty, _ = state_card(
            "No sources yet — add one to bring data in",
            "Connect KoboToolbox, ODK Central, CommCare, SurveyCTO, Google Sheets, Postgres or a REST API, "
            "or drag a CSV, Excel, JSON or Parquet file onto this page.",
            empty_add,
        )
        self.not_allowed, self.not_allowed_text = state_card("Sources are not available to your role", "")
        self.stack = stacked_page(self, head, split, self.empty, self.not_allowed)
        self.split = split
        model.changed.connect(self.refresh)
        model.unsaved_changed.connect(self.detail.streams.mark_unsaved)
        model.syncs.progress_changed.connect(self._progress)
        model.syncs.history_changed.connect(self._history)
        model.syncs.log_loaded.connect(self._log_loaded)
        self.refresh()

    def current(self) -> Source | None:
        return self.model.selected

    # --- rendering --------------------------------------------------------------------------------
    def refresh(self) -> None:
        model, org = self.model, self.model.app.org
        readable = org is not None and model.can_read
        if org is not None and not readable:
            set_card_text(
                self.not_allowed_text,
                f"Your role ({roles.label(org.role).lower()}) in {org.org.name} cannot see sources. "
                "Ask an admin if you need to bring data in.",
            )
        self.stack.setCurrentWidget(
            self.not_allowed if not readable else self.empty if model.loaded and not model.sources else self.split
        )
        self.add_button.setVisible(readable)
        self.intro.setVisible(readable)
        self.add_button.setEnabled(model.can_write)
        self.add_button.setToolTip("" if model.can_write else access.cannot_change(model.app.role))
        n = len(model.sources)
        note = "" if model.can_write else " Your role can look but not change or sync them."
        loading = " Loading…" if model.loading else ""
        brings = words.agree(n, "brings", "bring")
        self.intro.setText(f"{words.plural(n, 'source')} {brings} data into Dalgo.{loading}{note}")
        self._fill_list()
        self._fill_detail()

    def _fill_list(self) -> None:
        rows = self.model.rows()
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setRowCount(len(rows))
        for r, source in enumerate(rows):
            job = self.model.syncs.running(source.id) or source.last_sync
            rows_loaded = job_rows(job)
            cells = (source.name, self.model.type_name(source), STATUS_LABELS.get(job.status, job.status) if job else "Never",
                     when_text(job.started_at or job.created_at) if job else "—",
                     f"{rows_loaded:,}" if rows_loaded is not None else "—")  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, source.id)
                if c == 2 and job is not None and job.error:
                    item.setToolTip(job.error)
                self.list.setItem(r, c, item)
        column = [key for key, _t in SOURCE_COLUMNS].index(self.model.sort_key)
        order = Qt.SortOrder.DescendingOrder if self.model.sort_desc else Qt.SortOrder.AscendingOrder
        self.list.horizontalHeader().setSortIndicator(column, order)
        ids = [s.id for s in rows]
        if self.model.selected_id in ids:
            self.list.selectRow(ids.index(self.model.selected_id))
        self.list.blockSignals(False)
        if self.model.selected_id is None and rows:
            self.list.selectRow(0)  # something is always on show beside the list

    def _fill_detail(self) -> None:
        source, model, detail = self.current(), self.model, self.detail
        detail.setVisible(source is not None)
        if source is None:
            return
        detail.title.setText(source.name)
        detail.subtitle.setText(
            f"{model.type_name(source)} · its tables appear in Data under <b>{source.schema_name}</b>"
            f" · added {when_text(source.created_at)}"
        )
        busy, running = model.busy is not None, model.syncs.running(source.id) is not None
        why = access.cannot_change(model.app.role)
        for button in detail.writes:
            button.setEnabled(model.can_write and not busy)
            button.setToolTip("" if model.can_write else why)
        detail.sync_button.setEnabled(model.can_sync and not busy and not running)
        detail.sync_button.setToolTip(why if not model.can_sync else "A sync is running" if running else "")
        detail.new_file_button.setVisible(model.is_file_source(source))
        detail.check_button.setText("Testing…" if model.busy == "check" else "Test connection")
        detail.discover_button.setText("Looking…" if model.busy == "discover" else words.LOOK_FOR_TABLES)
        shown = (source.id, source.catalog, source.streams, model.can_write)
        if shown != self._streams_shown:  # keep unsaved ticks while other things on the page change
            self._streams_shown = shown
            detail.streams.show_source(source, model.can_write, why)
            model.set_unsaved(False)
        self._progress(source.id)

    def _picked(self) -> None:
        selected = self.list.selectedItems()
        self.model.select(selected[0].data(Qt.ItemDataRole.UserRole) if selected else None)

    def _progress(self, source_id: str) -> None:
        job = self.model.syncs.current.get(source_id)
        row = next(
            (
                r
                for r in range(self.list.rowCount())
                if (cell := self.list.item(r, 0)) is not None and cell.data(Qt.ItemDataRole.UserRole) == source_id
            ),
            None,
        )
        if (
            job is not None
            and job.active
            and row is not None
            and (status := self.list.item(row, 2)) is not None
            and status.text() != STATUS_LABELS[job.status]
        ):
            self._fill_list()  # the list says Running as soon as a sync starts
        source = self.current()
        if source is not None and source.id == source_id:
            self.detail.progress.show_job(source, job, access.may(self.model.app.org, "jobs:cancel"))
            self.detail.sync_button.setEnabled(
                self.model.can_sync and self.model.busy is None and not (job and job.active)
            )

    def _history(self) -> None:
        source = self.current()
        if source is not None and self.model.syncs.history_source == source.id:
            self.detail.history.show_jobs(self.model.syncs.history)

    # --- actions ----------------------------------------------------------------------------------
    def _open(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.open()  # type: ignore[attr-defined]

    def open_add(self, connector_type: str | None = None, file: Path | None = None) -> QtSourceDialog:
        dialog = QtSourceDialog(self.window(), self.model)
        if connector_type:
            dialog.choose_connector(connector_type)
        self._open(dialog)
        if file is not None:
            dialog.use_file(file)
        return dialog

    def open_edit(self) -> None:
        if source := self.current():
            self._open(QtSourceDialog(self.window(), self.model, source))

    def open_delete(self) -> None:
        if source := self.current():
            self._open(QtDeleteSourceDialog(self.window(), self.model, source))

    def choose_new_version(self) -> None:
        if (source := self.current()) and (path := pick_file(self, f"New version of {source.name}")):
            self.upload_new_version(path)

    def upload_new_version(self, path: Path) -> None:
        if source := self.current():
            self.detail.upload_bar.follow(self.model.upload_new_version(source, path))

    def save_streams(self, choices: list[StreamChoice]) -> None:
        if source := self.current():
            self.model.save_streams(source, choices)

    def streams_edited(self) -> None:
        self.model.set_unsaved(unsaved(self.current(), self.detail.streams.choices))

    def sync_now(self) -> None:
        """Sync; with unsaved stream choices, ask first (the sync would use the saved ones)."""
        source = self.current()
        if source is None:
            return
        if not self.model.unsaved:
            self.model.sync(source)
            return
        self.ask_save_first("sync", lambda: self.model.save_and_sync(source, self.detail.streams.choices),
                            lambda: self.model.sync(source))  # fmt: skip

    def ask_save_first(self, action: str, save: Callable[[], None], skip: Callable[[], None]) -> QtSaveFirstDialog:
        """Save your changes first? [Cancel] [<action> without saving] [Save and <action>]."""
        intro = "You changed which tables sync or how, and have not saved. Save your changes first?"
        dialog = QtSaveFirstDialog(self.window(), "Save your changes first?", intro, f"Save and {action}",
                                   f"{action.capitalize()} without saving")  # fmt: skip
        dialog.accepted.connect(lambda: save() if dialog.choice == "save" else skip())
        self._open(dialog)
        return dialog

    def save_streams_then(self, then: Callable[[], None]) -> None:
        if source := self.current():
            self.model.save_streams(source, self.detail.streams.choices, then=then)

    def discard_stream_changes(self) -> None:
        self._streams_shown = None
        self._fill_detail()

    def show_log(self, job: Job) -> None:
        self.model.syncs.load_log(job)

    def _log_loaded(self, job_id: str, text: str) -> None:
        source = self.current()
        self._open(QtLogDialog(self.window(), f"Sync log — {source.name if source else job_id}", text))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        path = dropped_file(event)
        if path and self.model.can_write and connector_for_file(path):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A file dropped on the page: a new file source, its connector picked by the file's extension."""
        path = dropped_file(event)
        if path and (connector_type := connector_for_file(path)):
            event.acceptProposedAction()
            self.open_add(connector_type, path)
