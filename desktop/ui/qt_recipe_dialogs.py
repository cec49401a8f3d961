"""Recipe dialogs and panels: cluster and merge, facets (the step dialog lives in qt_step_dialog)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.state.recipe import FILTER_NOTE, RecipeModel
from desktop.ui.qt_dialogs import QtFormDialog, ask_text
from desktop.ui.qt_theme import label

Json = dict[str, Any]
CLUSTER_METHODS = [
    (
        "Same letters in another order or spacing",
        "fingerprint",
        "Fingerprint key: case, spaces, accents, punctuation and word order are ignored",
    ),
    ("Same letter pairs, spaces ignored", "ngram", "N-gram fingerprint: compares the pairs of letters in each value"),
    ("Small typos (a letter or two different)", "levenshtein", "Nearest neighbours by Levenshtein edit distance"),
    ("Sounds alike", "phonetic", "Nearest neighbours by a Metaphone sound key (sh/s/x and th/t count as one sound)"),
]
# method → (lowest, highest, default, tooltip, caption) of its radius
CLUSTER_RADIUS = {
    "levenshtein": (
        1,
        3,
        1,
        "How many letters may differ (Levenshtein distance). Short names need to be closer: "
        "at most one change per three letters.",
        "Letters of difference",
    ),
    "phonetic": (
        0,
        2,
        0,
        "0: exactly the same sound; 1 or 2: sounds that differ a little (edit distance between sound keys).",
        "Sound difference",
    ),
}
NO_CLUSTERS = "No clusters with this method. Try “Small typos” or “Sounds alike”, or a larger difference."


class QtClusterDialog(QtFormDialog):
    """Clusters of similar spellings with their counts; tick some, choose the value, merge them in one step."""

    def __init__(self, parent: QWidget, model: RecipeModel, column: str) -> None:
        intro = f"Values of {column} that look like the same thing written differently."
        super().__init__(parent, f"Cluster and merge {column}", intro, "Merge selected")
        self.setMinimumWidth(min(780, max(440, self._screen_width() - 80)))
        self.model, self.column = model, column
        self.method = QComboBox()
        for text, method, tip in CLUSTER_METHODS:
            self.method.addItem(text, method)
            self.method.setItemData(self.method.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.radius = QSpinBox()
        self.radius_label = label("Letters of difference")
        self.method.currentIndexChanged.connect(lambda _i: self._method_changed())
        self.radius.valueChanged.connect(lambda _v: self.reload())
        self.form.addRow("Method", self.method)
        self.form.addRow(self.radius_label, self.radius)
        self.summary = label("Looking for clusters…", "Muted")
        self.form.addRow("", self.summary)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Merge?", "Values in the cluster (rows)", "Rows", "Merge into"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(3, 180)
        self.table.setWordWrap(True)
        self.table.setMinimumHeight(200)
        self.form.addRow(self.table)
        model.clusters_changed.connect(self.refresh)
        self._method_changed()

    def _screen_width(self) -> int:
        screen = self.screen()
        return screen.availableGeometry().width() if screen else 1024

    def _method_changed(self) -> None:
        """Show the radius only for the nearest-neighbour methods, with that method's range and default."""
        method = self.method.currentData()
        limits = CLUSTER_RADIUS.get(method)
        self.radius.setVisible(limits is not None)
        self.radius_label.setVisible(limits is not None)
        if limits:
            self.radius.blockSignals(True)
            self.radius.setRange(limits[0], limits[1])
            self.radius.setValue(limits[2])
            self.radius.blockSignals(False)
            self.radius.setToolTip(limits[3])
            self.radius_label.setText(limits[4])
        self.reload()

    def reload(self) -> None:
        method = self.method.currentData()
        radius = self.radius.value() if method in CLUSTER_RADIUS else None
        self.summary.setText("Looking for clusters…")
        self.model.load_clusters(self.column, method, radius)

    def refresh(self) -> None:
        clusters = self.model.clusters
        count = f"{len(clusters)} cluster" + ("" if len(clusters) == 1 else "s")
        self.summary.setText(f"{count} found. Untick what should stay apart." if clusters else NO_CLUSTERS)
        self.table.setRowCount(len(clusters))
        for r, cluster in enumerate(clusters):
            tick = QTableWidgetItem()
            tick.setCheckState(Qt.CheckState.Checked)
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(r, 0, tick)
            values = ", ".join(f"{v} ({n})" for v, n in cluster["values"])
            for c, text in ((1, values), (2, str(cluster.get("rows", "")))):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(r, c, item)
            self.table.setItem(r, 3, QTableWidgetItem(str(cluster["suggested"])))
        self.table.resizeRowsToContents()
        self.ok_button.setEnabled(bool(clusters) and self.model.can_edit)

    def merges(self) -> list[tuple[list[Any], Any]]:
        out = []
        for r, cluster in enumerate(self.model.clusters):
            tick, into = self.table.item(r, 0), self.table.item(r, 3)
            if tick and into and tick.checkState() == Qt.CheckState.Checked:
                out.append(([v for v, _n in cluster["values"]], into.text()))
        return out

    def submit(self) -> None:
        self.model.accept_clusters(self.merges(), then=self.accept)


class QtFacetPanel(QWidget):
    """A column's values with counts (click to filter the preview, double-click to change a value everywhere),
    or min/max/histogram for numbers and dates with a range to filter by."""

    def __init__(self, model: RecipeModel) -> None:
        super().__init__()
        self.model = model
        self.title = label("Facet", "Section", wrap=True)  # a long column name wraps in the narrow panel
        self.summary = label("Choose “Text facet” in a column's menu.", "Muted", wrap=True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Value", "Rows"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)  # long village names wrap; the full value is also in the tooltip
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # A double-click starts with a click: wait for the double-click interval before filtering.
        self.click_timer = QTimer(self)
        self.click_timer.setSingleShot(True)
        self.click_timer.setInterval(QApplication.doubleClickInterval())
        self.click_timer.timeout.connect(lambda: self.toggle_value(self.table.currentRow()))
        self.table.cellClicked.connect(lambda _r, _c: self.click_timer.start())
        self.table.cellDoubleClicked.connect(self._double_clicked)
        self.edit_button = QPushButton("Edit value everywhere…")
        self.edit_button.clicked.connect(lambda: self.edit_value(self.table.currentRow()))
        self.low, self.high = QLineEdit(), QLineEdit()
        self.low.setPlaceholderText("min")
        self.high.setPlaceholderText("max")
        self.apply_range = QPushButton("Apply range")
        self.apply_range.setToolTip("Show only rows in this range in the preview")
        self.apply_range.clicked.connect(self.set_range)
        # Stacked, not side by side: a narrow facet column still shows whole dates and the whole button.
        self.range_row = QWidget()
        bounds = QGridLayout(self.range_row)
        bounds.setContentsMargins(0, 0, 0, 0)
        bounds.addWidget(label("From"), 0, 0)
        bounds.addWidget(self.low, 0, 1)
        bounds.addWidget(label("To"), 1, 0)
        bounds.addWidget(self.high, 1, 1)
        bounds.addWidget(self.apply_range, 2, 0, 1, 2)
        self.note = label(FILTER_NOTE, "Muted", wrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.title, self.summary, self.table, self.range_row, self.edit_button, self.note):
            layout.addWidget(w)
        model.facet_changed.connect(self.refresh)
        model.filters_changed.connect(self.refresh)

    def refresh(self) -> None:
        facet = self.model.facet or {}
        column, text_kind = facet.get("column", ""), facet.get("kind", "text") == "text"
        self.title.setText(f"Facet: {column}" if column else "Facet")
        chosen = self.model.chosen_values(column)
        if text_kind:
            values = facet.get("values", [])
            self.summary.setText(
                f"{facet.get('distinct', 0)} distinct values in {facet.get('rows', 0)} rows."
                " Click to filter the preview (again to unselect); double-click to edit."
            )
            rows = [(v["value"], v["count"]) for v in values]
            tips = []
        else:
            self.summary.setText(
                f"From {facet.get('min')} to {facet.get('max')}; {facet.get('empty', 0)} rows with no value."
            )
            # A bin ends where the next begins: its start is enough in a narrow column (the tooltip has both).
            bins = facet.get("bins", [])
            rows = [(f"from {b.get('start')}", b.get("count")) for b in bins]
            tips = [f"{b.get('start')} to {b.get('end')}" for b in bins]
            low, high = self.model.filters.get(column, {}).get("range", (facet.get("min"), facet.get("max")))
            self.low.setText("" if low is None else str(low))
            self.high.setText("" if high is None else str(high))
        self.table.setRowCount(len(rows))
        for r, (value, count) in enumerate(rows):
            item = QTableWidgetItem("(empty)" if value is None else str(value))
            item.setToolTip(f"{tips[r] if not text_kind else item.text()}: {count} rows")
            if text_kind:
                item.setCheckState(Qt.CheckState.Checked if value in chosen else Qt.CheckState.Unchecked)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)  # a click on the row toggles it
            self.table.setItem(r, 0, item)
            self.table.setItem(r, 1, QTableWidgetItem(str(count)))
        self.table.resizeRowsToContents()
        self.range_row.setVisible(bool(column) and not text_kind)
        self.edit_button.setVisible(text_kind)
        self.edit_button.setEnabled(text_kind and self.model.can_edit)

    def toggle_value(self, row: int) -> None:
        """Click to filter: the value joins (or leaves) the preview's selection for this column."""
        facet = self.model.facet or {}
        values = facet.get("values", [])
        if facet.get("kind", "text") == "text" and 0 <= row < len(values):
            self.model.toggle_value(facet["column"], values[row]["value"])

    def set_range(self) -> None:
        facet = self.model.facet or {}
        if facet.get("column"):
            self.model.set_range(facet["column"], self.low.text().strip(), self.high.text().strip())

    def _double_clicked(self, row: int, _column: int) -> None:
        self.click_timer.stop()
        self.edit_value(row)

    def edit_value(self, row: int) -> None:
        facet = self.model.facet or {}
        values = facet.get("values", [])
        if facet.get("kind") != "text" or not (0 <= row < len(values)) or not self.model.can_edit:
            return
        old = values[row]["value"]
        new, ok = ask_text(self.window(), "Edit value everywhere", f"Change “{old}” in {facet['column']} to", str(old))
        if ok and new != old:
            self.model.mass_edit(facet["column"], old, new)
