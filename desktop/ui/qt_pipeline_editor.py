"""QtPipelineDialog: name, tasks in order (add, move up/down, remove), and the schedule in the user's local time."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.client.pipelines_models import Pipeline
from desktop.state.pipeline_drafts import PipelineDraft, TaskDraft
from desktop.state.pipeline_words import DAYS, KIND_TIPS, MISSED, ON_FAILURE, SCHEDULE_KINDS, SELECT_TIP
from desktop.state.pipelines import PipelinesModel
from desktop.ui.qt_dialogs import QtDialog, QtSaveFirstDialog
from desktop.ui.qt_theme import label, set_kind

EDITOR_KINDS = ("sync", "transform", "test")


def _combo(items: tuple[tuple[str, str], ...] | list[tuple[str, str]], current: str) -> QComboBox:
    box = QComboBox()
    for key, text in items:
        box.addItem(text, key)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box


class QtTaskRow(QFrame):
    """One task: what it does, on what, and what happens when it fails; ↑ ↓ Remove on the right."""

    def __init__(self, dialog: QtPipelineDialog, task: TaskDraft) -> None:
        super().__init__()
        self.setObjectName("Card")
        self.dialog, self.task, model = dialog, task, dialog.model
        kinds = [(k, model.kind_name(k)) for k in EDITOR_KINDS]
        kinds += [(k, n) for k, n in model.kinds.items() if k not in EDITOR_KINDS and k in model.available]
        self.number = label("", "Section")
        self.kind = _combo(kinds, task.kind)
        self.kind.setToolTip(KIND_TIPS.get(task.kind, ""))
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.up, self.down, self.remove = QPushButton("↑"), QPushButton("↓"), QPushButton("Remove")
        self.up.setToolTip("Run this task earlier")
        self.down.setToolTip("Run this task later")
        self.up.clicked.connect(lambda: dialog.move_task(self, -1))
        self.down.clicked.connect(lambda: dialog.move_task(self, 1))
        self.remove.clicked.connect(lambda: dialog.remove(self))
        self.source = QComboBox()
        for source in model.sources:
            self.source.addItem(source.name, source.id)
        if task.source_id and self.source.findData(task.source_id) < 0:
            self.source.addItem("A deleted source: pick another", task.source_id)
        self.source.setCurrentIndex(self.source.findData(task.source_id) if task.source_id else -1)
        self.source.setPlaceholderText("Choose a source")
        self.source.currentIndexChanged.connect(self._source_changed)
        self.every = QRadioButton("All tables")
        self.chosen = QRadioButton("Chosen ones")
        self.picks = QListWidget()
        self.picks.setMaximumHeight(110)
        self.picks.itemChanged.connect(lambda _i: self._picks_changed())
        self.selector = QLineEdit(" ".join(w for w in (task.select or []) if w not in model.models))
        self.selector.setPlaceholderText("Advanced: a selection by name or tag, e.g. tag:monthly")
        self.selector.setToolTip(SELECT_TIP)
        self.selector.textEdited.connect(lambda _t: self._picks_changed())
        self.every.toggled.connect(self._every_toggled)
        self.on_failure = _combo(ON_FAILURE, task.on_failure)
        self.on_failure.currentIndexChanged.connect(self._failure_changed)
        self.retries = QSpinBox()
        self.retries.setRange(0, 10)
        self.retries.setValue(task.retries)
        self.retries.setSuffix(" more times")
        self.retries.setToolTip("Try again this many times after a temporary failure (network, a busy server).")
        self.retries.valueChanged.connect(self._retries_changed)
        self._layout()
        self._show_kind()
        if task.kind == "sync" and task.streams is not None:
            dialog.need_tables(task.source_id, self)

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.number)
        top.addWidget(self.kind, 1)
        for button in (self.up, self.down, self.remove):
            top.addWidget(button)
        what = QHBoxLayout()
        what.addWidget(self.source, 3)
        what.addWidget(self.every)
        what.addWidget(self.chosen)
        what.addStretch(1)
        failure = QHBoxLayout()
        failure.addWidget(label("If it fails, try again"))
        failure.addWidget(self.retries)
        failure.addWidget(label("then"))
        failure.addWidget(self.on_failure, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(what)
        layout.addWidget(self.picks)
        layout.addWidget(self.selector)
        layout.addLayout(failure)

    # --- showing the task -------------------------------------------------------------------------
    def _show_kind(self) -> None:
        sync = self.task.kind == "sync"
        dbt = self.task.kind in ("transform", "test")
        self.source.setVisible(sync)
        self.every.setVisible(sync or dbt)
        self.chosen.setVisible(sync or dbt)
        self.every.setText("All tables" if sync else "All cleaned tables")
        self.chosen.setText("Chosen tables" if sync else "Chosen ones")
        picked = self.task.streams if sync else self.task.select
        self.every.blockSignals(True)
        (self.chosen if picked is not None else self.every).setChecked(True)
        self.every.blockSignals(False)
        self.fill_picks()

    def fill_picks(self) -> None:
        sync = self.task.kind == "sync"
        chosen = self.chosen.isChecked()
        options = self.dialog.tables_of(self.task.source_id) if sync else self.dialog.model.models
        picked = set((self.task.streams if sync else self.task.select) or [])
        self.picks.blockSignals(True)
        self.picks.clear()
        for name in options:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in picked else Qt.CheckState.Unchecked)
            self.picks.addItem(item)
        self.picks.blockSignals(False)
        self.picks.setVisible(chosen)
        self.selector.setVisible(chosen and not sync)

    # --- the user changes it ----------------------------------------------------------------------
    def _kind_changed(self) -> None:
        self.task.kind = str(self.kind.currentData())
        self.task.streams = self.task.select = None
        self.kind.setToolTip(KIND_TIPS.get(self.task.kind, ""))
        self._show_kind()
        self.dialog.edited()

    def _source_changed(self) -> None:
        self.task.source_id = self.source.currentData()
        self.task.streams = None if self.every.isChecked() else []
        self.dialog.need_tables(self.task.source_id, self)
        self.fill_picks()
        self.dialog.edited()

    def _every_toggled(self, every: bool) -> None:
        sync = self.task.kind == "sync"
        value: list[str] | None = None if every else []
        if sync:
            self.task.streams = value
            if not every:
                self.dialog.need_tables(self.task.source_id, self)
        else:
            self.task.select = value
        self.fill_picks()
        self.dialog.edited()

    def _picks_changed(self) -> None:
        if self.every.isChecked():
            return
        ticked = [self.picks.item(i).text() for i in range(self.picks.count())
                  if self.picks.item(i).checkState() == Qt.CheckState.Checked]  # fmt: skip
        if self.task.kind == "sync":
            self.task.streams = ticked
        else:
            self.task.select = ticked + self.selector.text().split()
        self.dialog.edited()

    def _failure_changed(self) -> None:
        self.task.on_failure = str(self.on_failure.currentData())
        self.dialog.edited()

    def _retries_changed(self, value: int) -> None:
        self.task.retries = value
        self.dialog.edited()


class QtScheduleBox(QFrame):
    """When the pipeline runs, in this computer's time zone (shown with its name)."""

    def __init__(self, dialog: QtPipelineDialog) -> None:
        super().__init__()
        self.dialog, schedule = dialog, dialog.draft.schedule
        self.kind = _combo(SCHEDULE_KINDS, schedule.kind)
        self.time = QTimeEdit(QTime.fromString(schedule.time, "HH:mm"))
        self.time.setDisplayFormat("HH:mm")
        self.zone = label(schedule.timezone, "Muted")
        self.zone.setToolTip("Times are in this time zone, and stay at that local time when clocks change.")
        self.days = {key: QCheckBox(short) for key, short in DAYS}
        for key, box in self.days.items():
            box.setChecked(key in schedule.days)
            box.toggled.connect(self._changed)
        self.cron = QLineEdit(schedule.cron)
        self.cron.setPlaceholderText("minute hour day month weekday, e.g. 0 9 * * 1-5")
        self.cron.setToolTip("A cron expression in your local time zone.")
        self.missed = _combo(MISSED, schedule.missed)
        self.active = QCheckBox("Active (untick to pause the schedule)")
        self.active.setChecked(dialog.draft.enabled)
        self.summary = label("", "Muted", wrap=True)
        self.kind.currentIndexChanged.connect(self._changed)
        self.time.timeChanged.connect(self._changed)
        self.cron.textEdited.connect(self._changed)
        self.missed.currentIndexChanged.connect(self._changed)
        self.active.toggled.connect(self._changed)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(label("Run it"), 0, 0)
        when = QHBoxLayout()
        when.addWidget(self.kind)
        when.addWidget(self.time)
        when.addWidget(self.zone)
        when.addStretch(1)
        grid.addLayout(when, 0, 1)
        self.day_row = QWidget()
        days = QHBoxLayout(self.day_row)
        days.setContentsMargins(0, 0, 0, 0)
        for box in self.days.values():
            days.addWidget(box)
        days.addStretch(1)
        grid.addWidget(self.day_row, 1, 1)
        grid.addWidget(self.cron, 2, 1)
        self.missed_label = label("If the computer was off\nor asleep at that time")
        grid.addWidget(self.missed_label, 3, 0)
        grid.addWidget(self.missed, 3, 1)
        grid.addWidget(self.active, 4, 1)
        grid.addWidget(self.summary, 5, 1)
        grid.setColumnStretch(1, 1)
        self._show()

    def _changed(self) -> None:
        schedule = self.dialog.draft.schedule
        schedule.kind = str(self.kind.currentData())
        schedule.time = self.time.time().toString("HH:mm")
        schedule.days = [key for key, box in self.days.items() if box.isChecked()]
        schedule.cron = self.cron.text()
        schedule.missed = str(self.missed.currentData())
        self.dialog.draft.enabled = self.active.isChecked()
        self._show()
        self.dialog.edited()

    def _show(self) -> None:
        kind = self.dialog.draft.schedule.kind
        self.time.setVisible(kind in ("daily", "weekly"))
        self.zone.setVisible(kind != "manual")
        self.day_row.setVisible(kind == "weekly")
        self.cron.setVisible(kind == "cron")
        for widget in (self.missed, self.missed_label, self.active):
            widget.setVisible(kind != "manual")
        self.summary.setText(self.dialog.draft.schedule.text() + ("" if self.dialog.draft.enabled else " — paused"))


class QtPipelineDialog(QtDialog):
    """Create or edit a pipeline; Save keeps the dialog open on a refusal, with what was typed."""

    def __init__(self, parent: QWidget | None, model: PipelinesModel, pipeline: Pipeline | None = None) -> None:
        super().__init__(parent, "Edit pipeline" if pipeline else "New pipeline", min_width=640)
        self.model = model
        self.draft = PipelineDraft.of(pipeline) if pipeline else PipelineDraft.new()
        self.tables: dict[str, list[str]] = {}
        self.rows: list[QtTaskRow] = []
        self.name = QLineEdit(self.draft.name)
        self.name.setPlaceholderText("e.g. Monthly household survey")
        self.name.textEdited.connect(self._renamed)
        self.task_box = QVBoxLayout()
        self.task_box.setSpacing(8)
        self.add_button = QPushButton("+ Add a task")
        self.add_button.clicked.connect(lambda: self.add())
        self.schedule = QtScheduleBox(self)
        self.error = label("", "Error", wrap=True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.hide()
        self.title = label(self.windowTitle(), "Section")
        self.body.addWidget(self.title)
        self.body.addWidget(label("Name"))
        self.body.addWidget(self.name)
        self.body.addWidget(label("Tasks, run in this order", "Section"))
        self.body.addLayout(self.task_box)
        self.body.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.body.addWidget(label("Schedule", "Section"))
        self.body.addWidget(self.schedule)
        self.body.addWidget(self.error)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save")
        set_kind(self.save_button, "primary")
        self.save_button.clicked.connect(self.save)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.cancel_button)
        self.buttons.addWidget(self.save_button)
        for task in self.draft.tasks:
            self._add_row(task)
        self._renumber()
        self.prompt: QtSaveFirstDialog | None = None

    # --- tasks --------------------------------------------------------------------------------------
    def _add_row(self, task: TaskDraft) -> QtTaskRow:
        row = QtTaskRow(self, task)
        self.rows.append(row)
        self.task_box.addWidget(row)
        return row

    def add(self, kind: str = "sync") -> QtTaskRow:
        row = self._add_row(self.draft.add(kind))
        self._renumber()
        self.edited()
        return row

    def remove(self, row: QtTaskRow) -> None:
        index = self.rows.index(row)
        self.draft.remove(index)
        self.rows.pop(index)
        row.hide()
        row.deleteLater()
        self._renumber()
        self.edited()

    def move_task(self, row: QtTaskRow, delta: int) -> None:
        index = self.rows.index(row)
        target = self.draft.move(index, delta)
        if target != index:
            self.rows.insert(target, self.rows.pop(index))
            self.task_box.removeWidget(row)
            self.task_box.insertWidget(target, row)
            self._renumber()
            self.edited()

    def _renumber(self) -> None:
        for i, row in enumerate(self.rows):
            row.number.setText(f"{i + 1}.")
            row.up.setEnabled(i > 0)
            row.down.setEnabled(i < len(self.rows) - 1)

    def tables_of(self, source_id: str | None) -> list[str]:
        return self.tables.get(source_id or "", [])

    def need_tables(self, source_id: str | None, row: QtTaskRow) -> None:
        """Fetch the tables a source offers once, then fill the row's list."""
        if source_id and source_id not in self.tables:
            self.model.source_tables(source_id, lambda names: self._tables_came(source_id, names, row))

    def _tables_came(self, source_id: str, names: list[str], row: QtTaskRow) -> None:
        self.tables[source_id] = names
        row.fill_picks()

    # --- unsaved, save, close -------------------------------------------------------------------------
    def _renamed(self, text: str) -> None:
        self.draft.name = text
        self.edited()

    def edited(self) -> None:
        """Mark unsaved changes: title dot, Save highlighted, the page's nav entry dotted."""
        unsaved = self.draft.unsaved
        self.title.setText(self.windowTitle() + ("  ● unsaved changes" if unsaved else ""))
        self.save_button.setEnabled(unsaved or self.draft.pipeline_id is None)
        self.model.set_unsaved(unsaved)
        self.error.hide()

    def save(self) -> None:
        self.save_button.setEnabled(False)
        self.model.save(self.draft, then=self._saved, failed=self._refused)

    def _saved(self) -> None:
        self.model.set_unsaved(False)
        self.accept()

    def _refused(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.save_button.setEnabled(True)

    def reject(self) -> None:
        """Closing with unsaved changes asks first: [Cancel] [Close without saving] [Save and close]."""
        if not self.draft.unsaved:
            self.model.set_unsaved(False)
            super().reject()
            return
        intro = "You changed this pipeline and have not saved. Save your changes first?"
        self.prompt = QtSaveFirstDialog(
            self, "Save your changes first?", intro, "Save and close", "Close without saving"
        )
        self.prompt.accepted.connect(self._prompt_answered)
        self.prompt.open()

    def _prompt_answered(self) -> None:
        if self.prompt is not None and self.prompt.choice == "save":
            self.save()
        else:
            self.model.set_unsaved(False)
            QtDialog.reject(self)
