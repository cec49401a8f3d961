"""QtPipelinesPage: the org's pipelines with their recent runs as bars; for the chosen one, run now, the live run
and its history. Admins create, edit, run and cancel; analysts and members look."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.client.pipelines_models import Pipeline, Run
from desktop.state.pipeline_words import duration, next_run_text, pipeline_schedule, run_when, status_name
from desktop.state.pipelines import PipelinesModel
from desktop.ui.qt_dialogs import QtFormDialog
from desktop.ui.qt_fit import QtElidedLabel
from desktop.ui.qt_pipeline_editor import QtPipelineDialog
from desktop.ui.qt_pipeline_runs import QtRunBars, QtRunHistory, QtRunPanel
from desktop.ui.qt_source_dialogs import QtLogDialog
from desktop.ui.qt_sources import set_card_text, stacked_page, state_card
from desktop.ui.qt_streams import table
from desktop.ui.qt_theme import label, set_kind

COLUMNS = (("name", "Name"), ("bars", "Last runs"), ("last", "Last run"), ("took", "Took"), ("next", "Next run"))
EMPTY = (
    "A pipeline brings in your sources, cleans and checks the data in order, by hand or on a schedule "
    "(every day at 09:00, every Monday…), and keeps a history of every run."
)


class QtPipelineDetail(QWidget):
    """The chosen pipeline: schedule, actions, the run on screen and the history."""

    def __init__(self, page: QtPipelinesPage) -> None:
        super().__init__()
        model = page.model
        self.title = QtElidedLabel("", "Section")
        self.schedule = QtElidedLabel("", "Muted")
        self.run_button = QPushButton("Run now")
        set_kind(self.run_button, "primary")
        self.cancel_button = QPushButton("Cancel run")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete…")
        set_kind(self.delete_button, "danger")
        self.run_button.clicked.connect(page.run_now)
        self.cancel_button.clicked.connect(model.cancel)
        self.edit_button.clicked.connect(page.open_edit)
        self.delete_button.clicked.connect(page.open_delete)
        self.run_panel = QtRunPanel(model.run_view, page.open_full_log)
        self.history = QtRunHistory(model.history, page.open_run)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.run_panel, "Run")
        self.tabs.addTab(self.history, "History")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        for button in (self.run_button, self.cancel_button, self.edit_button, self.delete_button):
            head.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.schedule)
        layout.addWidget(self.tabs, 1)


class QtPipelinesPage(QWidget):
    def __init__(self, model: PipelinesModel) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.model = model
        self.dialog: QWidget | None = None
        self.new_button = QPushButton("New pipeline…")
        set_kind(self.new_button, "primary")
        self.new_button.clicked.connect(self.open_new)
        head = QHBoxLayout()
        self.count = label("", "Muted")
        head.addWidget(self.count, 1)
        head.addWidget(self.new_button)
        self.list = table([title for _key, title in COLUMNS])
        self.list.setMinimumHeight(112)  # the header and two pipelines, even on a 600 px screen
        self.list.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.horizontalHeader().sectionClicked.connect(self._sort_clicked)
        self.list.itemSelectionChanged.connect(self._picked)
        self.detail = QtPipelineDetail(self)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.list)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 5)
        self.split.setChildrenCollapsible(False)
        self.empty_button = QPushButton("Create your first pipeline…")
        set_kind(self.empty_button, "primary")
        self.empty_button.clicked.connect(self.open_new)
        self.empty, self.empty_text = state_card("No pipelines yet", EMPTY, self.empty_button)
        self.denied, self.denied_text = state_card("Pipelines", "")
        self.stack = stacked_page(self, head, self.split, self.empty, self.denied)
        model.changed.connect(self.refresh)
        model.run_view.changed.connect(self._actions)
        self.refresh()

    # --- showing ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        model = self.model
        if not model.can_read:
            role = model.app.org.role if model.app.org else "none"
            set_card_text(self.denied_text, f"Your role ({role}) cannot see pipelines. Ask an admin for access.")
            self.stack.setCurrentWidget(self.denied)
            self.new_button.hide()
            return
        self.new_button.setVisible(model.can_write)
        self.empty_button.setVisible(model.can_write)
        if model.loaded and not model.pipelines:
            note = "" if model.can_write else " Only an admin can create one."
            set_card_text(self.empty_text, EMPTY + note)
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.split)
        self.count.setText("Loading…" if model.loading and not model.loaded else self._count_text())
        self._fill_list()
        self._fill_detail()

    def _count_text(self) -> str:
        n = len(self.model.pipelines)
        return f"{n} pipeline{'s' if n != 1 else ''}. Times are in this computer's time zone."

    def _fill_list(self) -> None:
        rows = self.model.rows()
        self.list.blockSignals(True)
        self.list.setRowCount(len(rows))
        for r, pipeline in enumerate(rows):
            name = QTableWidgetItem(pipeline.name)
            name.setData(Qt.ItemDataRole.UserRole, pipeline.id)
            name.setToolTip(f"{pipeline.name}\n{pipeline_schedule(pipeline)}")
            self.list.setItem(r, 0, name)
            self._bars_cell(r).set_runs(pipeline.recent_runs)
            self.list.setItem(r, 2, QTableWidgetItem(_last_text(pipeline.last_run)))
            took = pipeline.last_run.duration_s if pipeline.last_run else None
            self.list.setItem(r, 3, QTableWidgetItem(duration(took) if pipeline.last_run else "—"))
            upcoming = QTableWidgetItem(next_run_text(pipeline, there=False))
            upcoming.setToolTip(next_run_text(pipeline))
            self.list.setItem(r, 4, upcoming)
            if pipeline.id == self.model.selected_id:
                self.list.selectRow(r)
        self.list.blockSignals(False)
        self.list.resizeColumnsToContents()
        self.list.setColumnWidth(1, max(self.list.columnWidth(1), QtRunBars().width() + 16))
        self.list.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _bars_cell(self, row: int) -> QtRunBars:
        """The row's bar chart, reused across refreshes (a new widget per poll would flicker)."""
        bars = self.list.cellWidget(row, 1)
        if not isinstance(bars, QtRunBars):
            bars = QtRunBars()
            self.list.setCellWidget(row, 1, bars)
        return bars

    def bars(self, pipeline_id: str) -> QtRunBars | None:
        for r in range(self.list.rowCount()):
            item = self.list.item(r, 0)
            if item and item.data(Qt.ItemDataRole.UserRole) == pipeline_id:
                widget = self.list.cellWidget(r, 1)
                return widget if isinstance(widget, QtRunBars) else None
        return None

    def _fill_detail(self) -> None:
        pipeline = self.model.selected
        self.detail.setVisible(pipeline is not None)
        if pipeline is None:
            return
        self.detail.title.setText(pipeline.name)
        warn = f" · {' '.join(pipeline.warnings)}" if pipeline.warnings else ""
        self.detail.schedule.setText(f"{pipeline_schedule(pipeline)} · next run: {next_run_text(pipeline)}{warn}")
        self._actions()

    def _actions(self) -> None:
        model, detail = self.model, self.detail
        running = model.run_view.following
        detail.run_button.setEnabled(model.can_run and not running and model.busy is None)
        detail.run_button.setToolTip("" if model.can_run else model.why_not())
        detail.run_button.setText("Running…" if running else "Run now")
        detail.cancel_button.setVisible(running)
        detail.cancel_button.setEnabled(model.can_run)
        for button in (detail.edit_button, detail.delete_button):
            button.setVisible(model.can_write)

    # --- acting -----------------------------------------------------------------------------------
    def _picked(self) -> None:
        items = self.list.selectedItems()
        item = self.list.item(items[0].row(), 0) if items else None
        if item is not None:
            self.model.select(item.data(Qt.ItemDataRole.UserRole))

    def _sort_clicked(self, column: int) -> None:
        key = COLUMNS[column][0]
        if key in ("name", "last", "next"):
            self.model.sort(key)

    def run_now(self) -> None:
        if pipeline := self.model.selected:
            self.detail.tabs.setCurrentWidget(self.detail.run_panel)
            self.model.run_now(pipeline)

    def open_run(self, run: Run) -> None:
        """A past run from the history: its tasks and whole logs in the Run tab."""
        self.model.run_view.show(run.id)
        self.detail.tabs.setCurrentWidget(self.detail.run_panel)

    def open_full_log(self, position: int) -> None:
        view = self.model.run_view
        task = next((t for t in view.run.tasks if t.position == position), None) if view.run else None
        if task is not None:
            text = view.log_text(position) or "This task wrote nothing to its log."
            self._open(QtLogDialog(self.window(), f"Log of {task.name}", text))

    def open_new(self) -> None:
        self._open(QtPipelineDialog(self.window(), self.model))

    def open_edit(self) -> None:
        if pipeline := self.model.selected:
            self._open(QtPipelineDialog(self.window(), self.model, pipeline))

    def open_delete(self) -> None:
        if pipeline := self.model.selected:
            self._open(QtDeletePipelineDialog(self.window(), self.model, pipeline))

    def _open(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.show()


class QtDeletePipelineDialog(QtFormDialog):
    """Delete a pipeline: its schedule stops and its history goes; the data it made stays."""

    def __init__(self, parent: QWidget | None, model: PipelinesModel, pipeline: Pipeline) -> None:
        intro = (
            f"Delete “{pipeline.name}”? Its schedule stops and its run history is removed. "
            "The tables it brought in or cleaned stay in your data."
        )
        super().__init__(parent, "Delete pipeline", intro, "Delete pipeline", danger=True)
        self.model, self.pipeline = model, pipeline

    def submit(self) -> None:
        self.model.delete(self.pipeline, then=self.accept)


def _last_text(run: Run | None) -> str:
    if run is None:
        return "Not run yet"
    return f"{status_name(run.status)}, {run_when(run)}"
