"""The Data grid's parts: a table model over the state's current page, the filter bar, the column profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.client.data_models import ColumnProfile
from desktop.state import words
from desktop.state.grid import NO_VALUE, OPERATORS, GridModel
from desktop.ui.qt_theme import MUTED, PRIMARY, TEXT, card, label

Index = QModelIndex | QPersistentModelIndex
NULL_COLOR = QColor("#94a3b8")


def cell_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) >= 1e6 else f"{value:.6g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class GridTableModel(QAbstractTableModel):
    """Read-only view of `grid.rows`; row numbers count from the page's offset; sorted header gets an arrow."""

    def __init__(self, grid: GridModel) -> None:
        super().__init__()
        self.grid = grid
        grid.changed.connect(self.reset)

    def reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.grid.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.grid.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.grid.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(value)
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return NULL_COLOR
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float) and not isinstance(value, bool):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            column = self.grid.columns[section]
            return f"{column.name} ({words.type_tip(column.type)}). Click to sort: ascending, descending, none."
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return f"{self.grid.offset + section + 1:,}"
        name = self.grid.columns[section].name
        if self.grid.sort and self.grid.sort[0] == name:
            return f"{name} {'▼' if self.grid.sort[1] else '▲'}"
        return name


class QtFilterBar(QWidget):
    """Column + operator + value → Add filter; each filter a removable chip below."""

    def __init__(self, grid: GridModel) -> None:
        super().__init__()
        self.grid = grid
        self._shown: list[object] | None = None
        self.column = QComboBox()
        self.column.setMinimumWidth(160)
        self.op = QComboBox()
        for op, text in OPERATORS:
            self.op.addItem(text, op)
        self.op.currentIndexChanged.connect(self._op_changed)
        self.value = QLineEdit()
        self.value.setPlaceholderText("value")
        self.value.returnPressed.connect(self.add)
        self.add_button = QPushButton("Add filter")
        self.add_button.clicked.connect(self.add)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label("Filter", "Muted"))
        row.addWidget(self.column)
        row.addWidget(self.op)
        row.addWidget(self.value, 1)
        row.addWidget(self.add_button)
        self.chips = QHBoxLayout()
        self.chips.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(row)
        layout.addLayout(self.chips)

    def _op_changed(self) -> None:
        op = self.op.currentData()
        self.value.setEnabled(op not in NO_VALUE)
        hints = {"in": "a, b, c", "between": "low, high"}
        self.value.setPlaceholderText(hints.get(op, "value"))

    def set_columns(self, names: list[str]) -> None:
        if [self.column.itemText(i) for i in range(self.column.count())] != names:
            self.column.clear()
            self.column.addItems(names)

    def add(self) -> None:
        if self.grid.add_filter(self.column.currentText(), self.op.currentData(), self.value.text()):
            self.value.clear()

    def show_filters(self) -> None:
        if self._shown == self.grid.filters:
            return  # paging or sorting: the chips stay as they are
        self._shown = list(self.grid.filters)
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item is not None and (widget := item.widget()):
                widget.setParent(None)
                widget.deleteLater()
        for i, spec in enumerate(self.grid.filters):
            chip = QPushButton(f"{spec.label()}  ✕")
            chip.setObjectName("FilterChip")
            chip.setStyleSheet("#FilterChip { background: #ccfbf1; color: #115e59; border: none; border-radius: 11px;"
                               " padding: 3px 10px; font-weight: 600; }")  # fmt: skip
            chip.setToolTip("Remove this filter")
            chip.clicked.connect(lambda _c=False, index=i: self.grid.remove_filter(index))
            self.chips.addWidget(chip)
        if len(self.grid.filters) > 1:
            clear = QPushButton("Clear all")
            clear.setProperty("kind", "link")
            clear.clicked.connect(self.grid.clear_filters)
            self.chips.addWidget(clear)
        self.chips.addStretch(1)


class QtBars(QWidget):
    """A small painted bar chart: vertical bins (a histogram) or horizontal labelled bars (top values)."""

    def __init__(self, horizontal: bool) -> None:
        super().__init__()
        self.horizontal = horizontal
        self.bars: list[tuple[str, int]] = []
        self.caption = ("", "")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bars(self, bars: list[tuple[str, int]], caption: tuple[str, str] = ("", "")) -> None:
        self.bars, self.caption = bars, caption
        self.setFixedHeight(max(24, 20 * len(bars)) if self.horizontal else 96)
        self.setVisible(bool(bars))
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        if not self.bars:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = max(count for _l, count in self.bars) or 1
        w, h = self.width(), self.height()
        if self.horizontal:
            self._paint_rows(painter, top, w)
        else:
            self._paint_bins(painter, top, w, h)
        painter.end()

    def _paint_rows(self, painter: QPainter, top: int, w: int) -> None:
        text_w, count_w = int(w * 0.42), 60
        for i, (text, count) in enumerate(self.bars):
            y = i * 20
            painter.setPen(QColor(TEXT))
            painter.drawText(
                QRectF(0, y, text_w - 6, 18),
                Qt.AlignmentFlag.AlignVCenter,
                painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, text_w - 6),
            )
            bar_w = (w - text_w - count_w) * count / top
            painter.fillRect(QRectF(text_w, y + 3, max(1.0, bar_w), 12), QColor(PRIMARY))
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(text_w + bar_w + 4, y, count_w, 18), Qt.AlignmentFlag.AlignVCenter, f"{count:,}")

    def _paint_bins(self, painter: QPainter, top: int, w: int, h: int) -> None:
        chart_h = h - 18
        step = w / len(self.bars)
        for i, (_text, count) in enumerate(self.bars):
            bar_h = (chart_h - 2) * count / top
            painter.fillRect(QRectF(i * step + 1, chart_h - bar_h, max(1.0, step - 2), bar_h), QColor(PRIMARY))
        painter.setPen(QColor(MUTED))
        low, high = self.caption
        painter.drawText(QRectF(0, chart_h + 2, w / 2, 16), Qt.AlignmentFlag.AlignLeft, low)
        painter.drawText(QRectF(w / 2, chart_h + 2, w / 2, 16), Qt.AlignmentFlag.AlignRight, high)


class QtProfilePanel(QWidget):
    """The profile of the column picked in the grid or the tree."""

    STATS = (("type", "Type"), ("rows", "Rows"), ("nulls", "Empty cells"), ("distinct", "Different values"),
             ("min", "Smallest"), ("max", "Largest"), ("mean", "Average"))  # fmt: skip

    def __init__(self, grid: GridModel, go_profile: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.grid = grid
        panel, layout = card(14, 8)
        self.title = label("Column profile", "Section")
        self.hint = label("Click a cell of a column to see its profile.", "Muted", wrap=True)
        stats = QFormLayout()
        stats.setSpacing(4)
        self.values: dict[str, Any] = {}
        for key, caption in self.STATS:
            self.values[key] = label("")
            stats.addRow(label(caption, "Muted"), self.values[key])
        self.stats = QWidget()
        self.stats.setLayout(stats)
        self.histogram_title = label("Histogram", "Muted")
        self.histogram = QtBars(horizontal=False)
        self.top_title = label("Most frequent values", "Muted")
        self.top_values = QtBars(horizontal=True)
        for widget in (self.title, self.hint, self.stats, self.histogram_title, self.histogram, self.top_title,
                       self.top_values):  # fmt: skip
            layout.addWidget(widget)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(panel)
        grid.profile_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        grid, profile = self.grid, self.grid.profile
        self.title.setText(f"Profile of {grid.profile_column}" if grid.profile_column else "Column profile")
        if profile is None:
            self.hint.setText(
                "Loading the profile…" if grid.profile_column else "Click a cell of a column to see its profile."
            )
        self.hint.setVisible(profile is None)
        self.stats.setVisible(profile is not None)
        if profile is None:
            for widget in (self.histogram_title, self.histogram, self.top_title, self.top_values):
                widget.hide()
            return
        self._fill(profile)

    def _fill(self, profile: ColumnProfile) -> None:
        share = f" ({100 * profile.nulls / profile.rows:.1f} %)" if profile.rows else ""
        texts = {"type": words.type_name(profile.type), "rows": f"{profile.rows:,}", "nulls": f"{profile.nulls:,}{share}",
                 "distinct": "—" if profile.distinct is None else f"{profile.distinct:,}",
                 "min": cell_text(profile.min) if profile.min is not None else "—",
                 "max": cell_text(profile.max) if profile.max is not None else "—",
                 "mean": cell_text(profile.mean) if profile.mean is not None else "—"}  # fmt: skip
        for key, text in texts.items():
            self.values[key].setText(text)
        bins = [(f"{cell_text(b.start)} to {cell_text(b.end)}", b.count) for b in profile.histogram]
        caption = (cell_text(profile.histogram[0].start), cell_text(profile.histogram[-1].end)) if bins else ("", "")
        self.histogram.set_bars(bins, caption)
        self.histogram_title.setVisible(bool(bins))
        top = [(cell_text(v.value), v.count) for v in profile.top_values[:6]]
        self.top_values.set_bars(top)
        self.top_title.setVisible(bool(top))
