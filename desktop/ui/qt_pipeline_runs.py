"""Run widgets of the Pipelines page: the bar chart of recent runs, status chips, a run's tasks and logs, history."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDate, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.client.pipelines_models import Run, RunDetail
from desktop.state.pipeline_runs import RunHistory, RunView
from desktop.state.pipeline_words import (
    STATUS_NAMES,
    STATUS_TIPS,
    bar_kind,
    duration,
    failure_text,
    run_summary,
    run_when,
    status_name,
    task_line,
    trigger_text,
)
from desktop.ui.qt_fit import QtElidedLabel
from desktop.ui.qt_streams import table
from desktop.ui.qt_theme import label

BAR_COLOURS = {"good": "#16a34a", "bad": "#dc2626", "warn": "#eab308", "busy": "#2563eb", "other": "#94a3b8"}
CHIP_COLOURS = {  # (background, text) per status
    "succeeded": ("#dcfce7", "#166534"),
    "failed": ("#fee2e2", "#991b1b"),
    "warned": ("#fef9c3", "#854d0e"),
    "running": ("#dbeafe", "#1e40af"),
    "queued": ("#f1f5f9", "#475569"),
    "skipped": ("#f1f5f9", "#475569"),
    "cancelled": ("#f1f5f9", "#475569"),
    "interrupted": ("#ffedd5", "#9a3412"),
}
BARS = 12


class QtRunBars(QWidget):
    """Dalgo's little chart of the last runs, oldest left: green ok, red failed, yellow checks failed, grey other."""

    def __init__(self, runs: list[Run] | None = None) -> None:
        super().__init__()
        self.runs: list[Run] = []
        self.setFixedSize(QSize(BARS * 9 + 2, 24))
        self.set_runs(runs or [])

    def set_runs(self, newest_first: list[Run]) -> None:
        self.runs = list(reversed(newest_first[:BARS]))
        tips = [f"{run_when(r)}: {status_name(r.status)}, {duration(r.duration_s)}" for r in self.runs]
        self.setToolTip("\n".join(reversed(tips)) if tips else "Not run yet")
        self.update()

    def colours(self) -> list[str]:
        """The bars' colours, oldest first (what the user sees, for tests)."""
        return [BAR_COLOURS[bar_kind(r)] for r in self.runs]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        for i in range(BARS):
            rect = QRectF(1 + i * 9, 2, 7, self.height() - 4)
            colour = self.colours()[i] if i < len(self.runs) else "#e2e8f0"
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(rect, 2, 2)
        painter.end()


class QtChip(QLabel):
    """A coloured status word: queued, running, succeeded, failed, checks failed, skipped, cancelled."""

    def __init__(self, status: str = "queued") -> None:
        super().__init__()
        self.status = ""
        self.set_status(status)

    def set_status(self, status: str) -> None:
        if status == self.status:
            return
        self.status = status
        self.setText(status_name(status))
        background, text = CHIP_COLOURS.get(status, CHIP_COLOURS["queued"])
        self.setStyleSheet(
            f"background: {background}; color: {text}; border-radius: 9px; padding: 2px 9px; font-weight: 600;"
        )
        self.setToolTip(STATUS_TIPS.get(status, ""))
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        """Measured in the chip's bold font, so a table column never cuts it (before styling, too)."""
        font = QFont(self.font())
        font.setBold(True)
        metrics = QFontMetrics(font)
        return QSize(metrics.horizontalAdvance(self.text()) + 22, metrics.height() + 6)


class QtChipCell(QWidget):
    """A chip inside a table cell, reused as the status changes (no widget churn while polling)."""

    def __init__(self) -> None:
        super().__init__()
        self.chip = QtChip()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.chip)
        layout.addStretch(1)


def set_chip(grid: QTableWidget, row: int, column: int, status: str) -> None:
    """Show `status` as a chip in a cell, reusing the cell's chip; the column is kept wide enough for it."""
    cell = grid.cellWidget(row, column)
    if not isinstance(cell, QtChipCell):
        cell = QtChipCell()
        grid.setCellWidget(row, column, cell)
    cell.chip.set_status(status)
    grid.setColumnWidth(column, max(grid.columnWidth(column), cell.chip.sizeHint().width() + 24))


def chip_width(grid: QTableWidget, column: int) -> None:
    """resizeColumnsToContents does not see cell widgets: widen the chip column to its widest chip."""
    widths = [w.chip.sizeHint().width() + 24 for r in range(grid.rowCount())
              if isinstance(w := grid.cellWidget(r, column), QtChipCell)]  # fmt: skip
    grid.setColumnWidth(column, max([grid.columnWidth(column), *widths]))


class QtRunPanel(QWidget):
    """One run: how it went, each task as a row with its status chip, and the chosen (or running) task's log."""

    def __init__(self, view: RunView, on_full_log: Callable[[int], None]) -> None:
        super().__init__()
        self.view = view
        self.on_full_log = on_full_log
        self.headline = label("", "Section", wrap=True)
        self.note = label("", "Muted", wrap=True)
        self.failure = QPlainTextEdit()  # a dbt error can run to many lines: it scrolls instead of pushing
        self.failure.setReadOnly(True)
        self.failure.setMaximumHeight(64)
        self.failure.setStyleSheet("background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px;")
        self.tasks = table(["#", "Task", "Status", "Rows and time"])
        self.tasks.itemSelectionChanged.connect(self._show_log)
        self.log_title = QtElidedLabel("Log", "Muted")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setMinimumHeight(48)
        self.tasks.setMinimumHeight(48)
        self.full_log = QPushButton("Open whole log…")
        self.full_log.clicked.connect(lambda: self._open_full())
        log_box = QWidget()
        log_layout = QVBoxLayout(log_box)
        log_layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.log_title, 1)
        head.addWidget(self.full_log)
        log_layout.addLayout(head)
        log_layout.addWidget(self.log, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tasks)
        split.addWidget(log_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])  # the tasks with their rows first; the log takes what is left
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.note)
        layout.addWidget(self.failure)
        layout.addWidget(split, 1)
        self._shown_position: int | None = None
        self._picked = False
        view.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        run = self.view.run
        self.headline.setText(self._headline(run))
        self.note.setText(trigger_text(run) if run else "")
        self.note.setVisible(run is not None)
        failure = failure_text(run) if run else ""
        if failure != self.failure.toPlainText():
            self.failure.setPlainText(failure)
        self.failure.setVisible(bool(failure))
        self._fill_tasks(run)
        self._show_log()

    def _headline(self, run: RunDetail | None) -> str:
        if run is None:
            return "Pick a pipeline, or a run in its history, to see how it went."
        took = f", took {duration(run.duration_s)}" if run.duration_s is not None and not run.active else ""
        return f"{STATUS_NAMES.get(run.status, run.status)} — {run_when(run)}{took}"

    def _fill_tasks(self, run: RunDetail | None) -> None:
        tasks = run.tasks if run else []
        selected = self._selected_position()
        self.tasks.blockSignals(True)
        self.tasks.setRowCount(len(tasks))
        for row, task in enumerate(tasks):
            self.tasks.setItem(row, 0, QTableWidgetItem(str(task.position + 1)))
            name = QTableWidgetItem(task.name)
            name.setData(Qt.ItemDataRole.UserRole, task.position)
            name.setToolTip(task.error or task.name)
            self.tasks.setItem(row, 1, name)
            set_chip(self.tasks, row, 2, task.status)
            self.tasks.setItem(row, 3, QTableWidgetItem(task_line(task)))
        if selected is not None and self._picked:
            self._select(selected)
        self.tasks.blockSignals(False)
        self.tasks.resizeColumnsToContents()
        chip_width(self.tasks, 2)
        self.tasks.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # long names elide

    def _selected_position(self) -> int | None:
        items = self.tasks.selectedItems()
        row = items[0].row() if items else -1
        item = self.tasks.item(row, 1) if row >= 0 else None
        return int(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _select(self, position: int) -> None:
        for row in range(self.tasks.rowCount()):
            item = self.tasks.item(row, 1)
            if item and item.data(Qt.ItemDataRole.UserRole) == position:
                self.tasks.selectRow(row)

    def position_on_show(self) -> int | None:
        """The task whose log shows: the one picked, else the running one, else the first failed, else the last."""
        run = self.view.run
        if run is None or not run.tasks:
            return None
        picked = self._selected_position() if self._picked else None
        if picked is not None:
            return picked
        running = self.view.running_position()
        failed = next((t.position for t in run.tasks if t.status in ("failed", "warned")), None)
        started = [t.position for t in run.tasks if t.status not in ("queued", "skipped")]
        return running if running is not None else failed if failed is not None else started[-1] if started else None

    def _show_log(self) -> None:
        if self.tasks.signalsBlocked():
            return
        self._picked = self._picked or self.sender() is self.tasks
        position = self.position_on_show()
        run = self.view.run
        task = next((t for t in run.tasks if t.position == position), None) if run else None
        self.full_log.setEnabled(task is not None)
        if task is None:
            self.log_title.setText("Log")
            self.log.setPlainText("")
            return
        self.log_title.setText(f"Log of task {task.position + 1}: {task.name}")
        text = self.view.log_text(task.position) or _no_log(task.status)
        if text != self.log.toPlainText():
            self.log.setPlainText(text)
            self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())  # follow the tail
        self._shown_position = task.position

    def _open_full(self) -> None:
        if self._shown_position is not None:
            self.on_full_log(self._shown_position)


def _no_log(status: str) -> str:
    if status == "queued":
        return "This task has not started yet."
    if status == "skipped":
        return "This task was skipped: an earlier task failed and was set to stop the pipeline."
    return "Nothing written yet…"


HISTORY_STATUSES = [("Any result", None)] + [
    (STATUS_NAMES[s], s) for s in ("succeeded", "failed", "warned", "cancelled", "skipped", "interrupted")
]


class QtRunHistory(QWidget):
    """Past runs, newest first, with a result and date filter and pages; picking one opens it."""

    def __init__(self, history: RunHistory, open_run: Callable[[Run], None]) -> None:
        super().__init__()
        self.history, self.open_run = history, open_run
        self.status = QComboBox()
        for text, data in HISTORY_STATUSES:
            self.status.addItem(text, data)
        self.between = QCheckBox("Only between")
        self.since, self.until = QDateEdit(), QDateEdit()
        for edit, days in ((self.since, -30), (self.until, 0)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setDate(QDate.currentDate().addDays(days))
            edit.setEnabled(False)
        self.between.toggled.connect(self._dates_toggled)
        self.status.currentIndexChanged.connect(lambda _i: self.apply())
        self.since.dateChanged.connect(lambda _d: self.apply())
        self.until.dateChanged.connect(lambda _d: self.apply())
        self.newer, self.older = QPushButton("Newer"), QPushButton("Older")
        self.newer.clicked.connect(lambda: history.page(-1))
        self.older.clicked.connect(lambda: history.page(1))
        self.pages = label("", "Muted")
        filters = QHBoxLayout()
        for widget in (self.status, self.between, self.since, label("and"), self.until):
            filters.addWidget(widget)
        filters.addStretch(1)
        pager = QHBoxLayout()
        pager.addStretch(1)
        pager.addWidget(self.pages)
        pager.addWidget(self.newer)
        pager.addWidget(self.older)
        self.table = table(["When", "Result", "Started", "Took", "What happened"])
        self.table.setMinimumHeight(48)
        self.table.cellClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(pager)
        history.changed.connect(self.refresh)
        self.refresh()

    def _dates_toggled(self, on: bool) -> None:
        self.since.setEnabled(on)
        self.until.setEnabled(on)
        self.apply()

    def apply(self) -> None:
        """Send the filters on screen to the history (dates in this computer's time)."""
        since = until = None
        if self.between.isChecked():
            since = self.since.date().startOfDay().toPython().astimezone()  # type: ignore[attr-defined]
            until = self.until.date().startOfDay().toPython().astimezone()  # type: ignore[attr-defined]
        self.history.filter(self.status.currentData(), since, until)

    def refresh(self) -> None:
        runs = self.history.runs
        self.table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            self.table.setItem(row, 0, QTableWidgetItem(run_when(run)))
            set_chip(self.table, row, 1, run.status)
            self.table.setItem(row, 2, QTableWidgetItem(trigger_text(run)))
            self.table.setItem(row, 3, QTableWidgetItem(duration(run.duration_s)))
            summary = QTableWidgetItem(run_summary(run))
            summary.setToolTip(run_summary(run) + (f"\nWhat to do: {run.hint}" if run.hint else ""))
            self.table.setItem(row, 4, summary)
        self.table.resizeColumnsToContents()
        chip_width(self.table, 1)
        self.pages.setText(self.history.page_text)
        self.newer.setEnabled(self.history.offset > 0)
        self.older.setEnabled(self.history.offset + len(runs) < self.history.total)

    def _clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.history.runs):
            self.open_run(self.history.runs[row])
