"""Parts of a source's detail panel: the streams to sync, the running sync's progress, and the sync history."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.client.data_models import Job, Source
from desktop.state import words
from desktop.state.source_syncs import (
    STATUS_LABELS,
    details_text,
    elapsed_text,
    progress_fraction,
    progress_text,
    summary_text,
    when_text,
)
from desktop.state.sources import MODE_LABELS, StreamChoice, stream_choices
from desktop.ui.qt_theme import label, set_kind

STREAM_COLUMNS = ["Sync", "Table", "Columns", "How to sync", "Changes since", words.UNIQUE_ID]
STREAM_TIPS = ["", "The source's streams: its forms, sheets or tables", "", "The sync mode",
               words.CHANGES_COLUMN + ". " + words.CHANGES_COLUMN_TIP, words.UNIQUE_ID_TIP]  # fmt: skip
HISTORY_COLUMNS = ["Status", "Started", "Took", "Result"]
NONE = "—"


def table(headers: list[str]) -> QTableWidget:
    widget = QTableWidget(0, len(headers))
    widget.setHorizontalHeaderLabels(headers)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setAlternatingRowColors(True)
    widget.setShowGrid(False)
    widget.verticalHeader().hide()
    header = widget.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setHighlightSections(False)
    return widget


def _combo(items: Sequence[tuple[str, object]], current: object, enabled: bool) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    index = box.findData(current)
    box.setCurrentIndex(max(0, index))
    box.setEnabled(enabled)
    return box


class QtStreamsTable(QWidget):
    """One row per discovered stream: tick it, pick its sync mode, cursor and primary key; Save streams."""

    def __init__(self, on_save: Callable[[list[StreamChoice]], None]) -> None:
        super().__init__()
        self.choices: list[StreamChoice] = []
        self.editable = True
        self.on_change: Callable[[], None] = lambda: None  # a tick or a mode changed on screen
        self.empty = label(
            f"Press “{words.LOOK_FOR_TABLES}” to list the tables (forms, sheets) this source offers.", "Muted"
        )
        self.table = table(STREAM_COLUMNS)
        for column, tip in enumerate(STREAM_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)  # type: ignore[union-attr]
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((3, 200), (4, 140), (5, 140)):  # combos: their width is not "contents"
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)
        self.table.itemChanged.connect(self._ticked)
        self.save_button = QPushButton("Save table choices")
        set_kind(self.save_button, "")  # primary once there is something to save (mark_unsaved)
        self.save_button.clicked.connect(lambda: on_save(self.choices))
        self.note = label("", "Muted", wrap=True)
        actions = QHBoxLayout()
        actions.addWidget(self.note, 1)
        actions.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)

    def show_source(self, source: Source | None, editable: bool, why_not: str = "") -> None:
        self.editable = editable
        self.choices = stream_choices(source) if source else []
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.choices))
        for row, choice in enumerate(self.choices):
            self._fill_row(row, choice)
        self.table.blockSignals(False)
        self.empty.setVisible(not self.choices)
        self.table.setVisible(bool(self.choices))
        self.save_button.setVisible(bool(self.choices))
        self.save_button.setEnabled(editable)
        self.save_button.setToolTip("" if editable else why_not)
        picked = sum(c.selected for c in self.choices)
        self.note.setText(f"{picked} of {words.plural(len(self.choices), 'table')} selected." if self.choices else "")

    def _fill_row(self, row: int, choice: StreamChoice) -> None:
        stream = choice.stream
        tick = QTableWidgetItem()
        flags = Qt.ItemFlag.ItemIsEnabled | (
            Qt.ItemFlag.ItemIsUserCheckable if self.editable else Qt.ItemFlag.NoItemFlags
        )
        tick.setFlags(flags)
        tick.setCheckState(Qt.CheckState.Checked if choice.selected else Qt.CheckState.Unchecked)
        self.table.setItem(row, 0, tick)
        extra = f"  (+ {words.plural(len(stream.children), 'linked table')})" if stream.children else ""
        name = QTableWidgetItem(stream.name + extra)
        name.setToolTip(stream.name + (f" — {stream.description}" if stream.description else ""))
        self.table.setItem(row, 1, name)
        self.table.setItem(row, 2, QTableWidgetItem(str(len(stream.columns))))
        modes = [(MODE_LABELS.get(m, m), m) for m in stream.supported_sync_modes]
        mode = _combo(modes, choice.sync_mode, self.editable)
        for i in range(mode.count()):  # the technical name stays in the tooltip
            mode.setItemData(i, words.sync_mode_tip(mode.itemData(i)), Qt.ItemDataRole.ToolTipRole)
        mode.currentIndexChanged.connect(lambda _i, r=row: self._picked(r))
        self.table.setCellWidget(row, 3, mode)
        self._fill_keys(row, choice)

    def _fill_keys(self, row: int, choice: StreamChoice) -> None:
        stream = choice.stream
        others = [c.name for c in stream.columns if c.name not in stream.cursor_candidates]
        cursors = [(NONE, None)] + [(c, c) for c in stream.cursor_candidates + others]
        cursor = _combo(cursors, choice.cursor_field, self.editable and choice.sync_mode != "full_refresh")
        cursor.currentIndexChanged.connect(lambda _i, r=row: self._picked(r))
        self.table.setCellWidget(row, 4, cursor)
        # a key is stored as "a,b" text: combo data round-trips strings reliably, tuples not
        keys: list[tuple[str, object]] = [(NONE, "")]
        if len(choice.primary_key) > 1:
            keys.append((", ".join(choice.primary_key), ",".join(choice.primary_key)))
        names = [c.name for c in stream.columns]
        ordered = stream.primary_key_candidates + [n for n in names if n not in stream.primary_key_candidates]
        keys += [(name, name) for name in ordered]
        enabled = self.editable and choice.sync_mode == "incremental_dedup"
        key = _combo(keys, ",".join(choice.primary_key), enabled)
        key.currentIndexChanged.connect(lambda _i, r=row: self._picked(r))
        self.table.setCellWidget(row, 5, key)

    def _ticked(self, item: QTableWidgetItem) -> None:
        if item.column() == 0 and item.row() < len(self.choices):
            self.choices[item.row()].selected = item.checkState() == Qt.CheckState.Checked
            self.on_change()
            picked = sum(c.selected for c in self.choices)
            self.note.setText(f"{picked} of {words.plural(len(self.choices), 'table')} selected.")

    def _picked(self, row: int) -> None:
        """A combo changed: read all three back; cursor and key only apply to the incremental modes."""
        choice = self.choices[row]
        choice.sync_mode = self.table.cellWidget(row, 3).currentData()  # type: ignore[attr-defined]
        choice.cursor_field = self.table.cellWidget(row, 4).currentData()  # type: ignore[attr-defined]
        key = self.table.cellWidget(row, 5).currentData() or ""  # type: ignore[attr-defined]
        choice.primary_key = [part for part in key.split(",") if part]
        self.table.cellWidget(row, 4).setEnabled(self.editable and choice.sync_mode != "full_refresh")
        self.table.cellWidget(row, 5).setEnabled(self.editable and choice.sync_mode == "incremental_dedup")
        self.on_change()

    def mark_unsaved(self, unsaved: bool) -> None:
        """Unsaved choices: the save button stands out (primary) and says so in its tooltip."""
        set_kind(self.save_button, "primary" if unsaved else "")
        self.save_button.style().unpolish(self.save_button)
        self.save_button.style().polish(self.save_button)
        self.save_button.setProperty("unsaved", unsaved)
        self.save_button.setToolTip("You have unsaved changes: Sync now uses the saved choices" if unsaved else "")

    def set_selected(self, name: str, selected: bool) -> None:
        row = next(i for i, c in enumerate(self.choices) if c.stream.name == name)
        tick = self.table.item(row, 0)
        assert tick is not None, "every row gets its tick in _fill_row"
        tick.setCheckState(Qt.CheckState.Checked if selected else Qt.CheckState.Unchecked)

    def set_mode(self, name: str, mode: str) -> None:
        row = next(i for i, c in enumerate(self.choices) if c.stream.name == name)
        box = self.table.cellWidget(row, 3)
        box.setCurrentIndex(box.findData(mode))  # type: ignore[attr-defined]


class QtSyncProgress(QFrame):
    """The running (or just finished) sync of the selected source: bar, rows/bytes/stream/elapsed, Cancel."""

    def __init__(self, on_cancel: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("Card")
        self.title = label("", "Section")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.text = label("", "Muted", wrap=True)
        self.cancel_button = QPushButton("Cancel sync")
        set_kind(self.cancel_button, "danger")
        self.cancel_button.clicked.connect(on_cancel)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.bar)
        layout.addWidget(self.text)
        self.hide()

    def show_job(self, source: Source, job: Job | None, can_cancel: bool) -> None:
        if job is None:
            self.hide()
            return
        self.show()
        streams = [s.name for s in source.streams or []]
        if job.active:
            self.title.setText(f"Syncing {source.name}…")
            current, fraction = job.progress.get("stream"), progress_fraction(job)
            if fraction is not None:  # the connector knows the stream's size: rows of total
                self.bar.setRange(0, fraction[1])
                self.bar.setValue(fraction[0])
            elif len(streams) > 1 and current in streams:  # several streams: how many are done
                self.bar.setRange(0, len(streams))
                self.bar.setValue(streams.index(current))
            else:
                self.bar.setRange(0, 0)  # one stream of unknown size: a busy bar
            self.text.setText(progress_text(job))
        else:
            self.title.setText(f"Last sync: {STATUS_LABELS.get(job.status, job.status).lower()}")
            self.bar.setRange(0, 100)
            self.bar.setValue(100 if job.status == "succeeded" else 0)
            self.text.setText(summary_text(job) + f" · {elapsed_text(job.elapsed_s)}")
        self.cancel_button.setVisible(job.active)
        self.cancel_button.setEnabled(can_cancel)


class QtSyncHistory(QWidget):
    """Past runs of the selected source; the selected run's rows per stream, schema changes and errors."""

    def __init__(self, on_log: Callable[[Job], None]) -> None:
        super().__init__()
        self.jobs: list[Job] = []
        self.empty = label("No syncs yet. Press Sync now to load the selected tables.", "Muted")
        self.table = table(HISTORY_COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(130)  # four runs at a glance, newest first; the details below get the rest
        self.table.setMaximumHeight(200)
        self.table.itemSelectionChanged.connect(self._selected)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.log_button = QPushButton("View log")
        self.log_button.clicked.connect(lambda: self._open_log(on_log))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.log_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.details, 3)
        layout.addLayout(row)

    def show_jobs(self, jobs: list[Job]) -> None:
        keep = self.selected()
        self.jobs = jobs
        self.table.setRowCount(len(jobs))
        for r, job in enumerate(jobs):
            cells = (STATUS_LABELS.get(job.status, job.status), when_text(job.started_at or job.created_at),
                     elapsed_text(job.elapsed_s), summary_text(job))  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text if c == 3 else "")
                self.table.setItem(r, c, item)
        self.empty.setVisible(not jobs)
        self.table.setVisible(bool(jobs))
        ids = [j.id for j in jobs]
        if jobs:
            self.table.selectRow(ids.index(keep.id) if keep is not None and keep.id in ids else 0)
            self.table.scrollToTop()
        self._selected()

    def selected(self) -> Job | None:
        rows = self.table.selectionModel().selectedRows()
        return self.jobs[rows[0].row()] if rows and rows[0].row() < len(self.jobs) else None

    def _open_log(self, on_log: Callable[[Job], None]) -> None:
        if (job := self.selected()) is not None:
            on_log(job)

    def _selected(self) -> None:
        job = self.selected()
        self.details.setPlainText(details_text(job) if job else "")
        self.details.setVisible(job is not None)
        self.log_button.setVisible(job is not None)
