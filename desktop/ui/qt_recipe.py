"""QtRecipeEditor: steps top to bottom, a live preview grid after the chosen step, column menus, undo/redo."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.state import words
from desktop.state.recipe import FILTER_NOTE, ColumnAction, RecipeModel, cannot_change, column_actions
from desktop.state.step_words import facet_filter_config
from desktop.state.transform import TransformModel
from desktop.ui.qt_fit import QtElidedLabel, QtOverflowBar
from desktop.ui.qt_parse_dates import QtParseDatesDialog
from desktop.ui.qt_recipe_dialogs import QtClusterDialog, QtFacetPanel
from desktop.ui.qt_recipe_tests import QtRecipeTestsDialog
from desktop.ui.qt_step_controls import FormContext
from desktop.ui.qt_step_dialog import QtAddStepDialog, QtStepDialog
from desktop.ui.qt_theme import DANGER, label, set_kind

Index = QModelIndex | QPersistentModelIndex


NARROW_WIDTH = 900  # px of the editor: below it the facet goes under the preview (a 1024x600 netbook)


class PreviewTable(QAbstractTableModel):
    """Rows of a preview as a Qt table model (headers show the column types as tooltips)."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: list[dict[str, Any]] = []
        self.rows: list[list[Any]] = []

    def set(self, columns: list[dict[str, Any]], rows: list[list[Any]]) -> None:
        self.beginResetModel()
        self.columns, self.rows = columns, rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.rows[index.row()][index.column()]
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and self.rows[index.row()][index.column()] is None:
            return QBrush(QColor("#94a3b8"))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column["name"]
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{column['name']} ({words.type_tip(column['type'])}). Right-click for cleaning steps."
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None


class QtRecipeEditor(QWidget):
    """Edits the recipe in `model`; Run/Test go through `transform` (the page follows the job)."""

    run_requested = Signal()

    def __init__(self, model: RecipeModel, transform: TransformModel) -> None:
        super().__init__()
        self.model, self.transform = model, transform
        self.dialog: QWidget | None = None
        self.title = QtElidedLabel("", "Section")
        self.subtitle = QtElidedLabel("", "Muted")
        self.undo_button, self.redo_button = QPushButton("Undo"), QPushButton("Redo")
        self.save_button, self.run_button = QPushButton("Save"), QPushButton("Save and run")
        self.test_button, self.eject_button = QPushButton("Test"), QPushButton(words.TURN_INTO_SQL)
        self.eject_button.setToolTip(words.TURN_INTO_SQL_TIP)
        self.docs_button = QPushButton("Tests && descriptions…")
        self.docs_button.setToolTip(
            "Descriptions of the cleaned table and its columns, and checks on the columns (dbt tests)"
        )
        self.docs_button.clicked.connect(self.open_docs)
        set_kind(self.run_button, "primary")
        self.undo_button.setToolTip("Undo (Ctrl+Z)")
        self.redo_button.setToolTip("Redo (Ctrl+Shift+Z)")
        self.undo_button.clicked.connect(model.undo)
        self.redo_button.clicked.connect(model.redo)
        self.save_button.clicked.connect(model.save)
        self.run_button.clicked.connect(self.run_requested.emit)
        self.test_button.clicked.connect(self.test)
        QShortcut(QKeySequence.StandardKey.Undo, self, model.undo)
        QShortcut(QKeySequence("Ctrl+Shift+Z"), self, model.redo)
        head = QVBoxLayout()  # titles above the buttons: a long recipe name never squeezes them
        head.setSpacing(4)
        head.addWidget(self.title)
        head.addWidget(self.subtitle)
        order = (self.undo_button, self.redo_button, self.save_button, self.run_button, self.test_button,
                 self.docs_button, self.eject_button)  # fmt: skip
        self.toolbar = QtOverflowBar(list(order))  # what does not fit goes into "More", never cut mid-word
        head.addWidget(self.toolbar)
        splitter = QSplitter()
        splitter.addWidget(self._steps_panel())
        # Preview and facet side by side when there is room, the facet under the preview when there is not.
        self.data_split = QSplitter()
        self.data_split.addWidget(self._preview_panel())
        self.facet = QtFacetPanel(model)
        self.data_split.addWidget(self.facet)
        self.data_split.setChildrenCollapsible(False)
        self.data_split.setStretchFactor(0, 1)
        self._lay_out_facet(narrow=False)
        self.facet.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.facet.table.customContextMenuRequested.connect(self._facet_menu)
        splitter.addWidget(self.data_split)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([240, 770])
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(splitter, 1)
        model.changed.connect(self.refresh)
        model.preview_changed.connect(self.refresh_preview)
        model.facet_changed.connect(lambda: self.facet.setVisible(True))
        model.filters_changed.connect(self.refresh_filters)
        self.facet.setVisible(False)
        self.refresh()

    def _steps_panel(self) -> QWidget:
        self.steps = QListWidget()
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.steps.setWordWrap(True)
        self.steps.itemChanged.connect(self._toggled)
        self.steps.currentRowChanged.connect(self._selected)
        self.edit_button, self.delete_button = QPushButton("Edit…"), QPushButton("Delete")
        self.up_button, self.down_button = QPushButton("▲"), QPushButton("▼")
        self.up_button.setToolTip("Move the step up")
        self.down_button.setToolTip("Move the step down")
        set_kind(self.delete_button, "danger")
        self.edit_button.clicked.connect(self.edit_step)
        self.delete_button.clicked.connect(lambda: self._with_step(self.model.delete_step))
        self.up_button.clicked.connect(lambda: self._with_step(lambda sid: self.model.move_step(sid, -1)))
        self.down_button.clicked.connect(lambda: self._with_step(lambda sid: self.model.move_step(sid, +1)))
        step_actions = QHBoxLayout()
        for b in (self.edit_button, self.delete_button, self.up_button, self.down_button):
            step_actions.addWidget(b)
        self.add_button = QPushButton("Add step…")
        self.add_button.setToolTip("Choose a step from the list, grouped by what it does")
        self.add_button.clicked.connect(self.choose_step)
        add = QHBoxLayout()
        add.addWidget(self.add_button, 1)
        panel = QWidget()
        panel.setMaximumWidth(300)
        panel.setMinimumWidth(230)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label("Steps", "Section"))
        layout.addWidget(self.steps, 1)
        layout.addLayout(step_actions)
        layout.addWidget(label("Add a step from the list, or right-click a column in the preview.", "Muted", True))
        layout.addLayout(add)
        return panel

    def _preview_panel(self) -> QWidget:
        self.summary = label("", "Muted", wrap=True)
        self.sample = QCheckBox("Fast preview (sample)")
        self.sample.setToolTip("Run on a random sample of 10,000 input rows: faster, but counts are approximate.")
        self.sample.toggled.connect(self.model.set_sample)
        self.warnings = label("", "", wrap=True)
        self.warnings.setStyleSheet(f"color: {DANGER};")
        self.table_model = PreviewTable()
        self.grid = QTableView()
        self.grid.setModel(self.table_model)
        self.grid.setAlternatingRowColors(True)
        header = self.grid.horizontalHeader()
        # a name too long for its column shows its start
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        head = QHBoxLayout()
        head.addWidget(label("Preview", "Section"), 1)
        head.addWidget(self.sample)
        panel = QWidget()
        panel.setMinimumWidth(200)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self._filters_bar())
        layout.addWidget(self.warnings)
        layout.addWidget(self.grid, 1)
        return panel

    def _filters_bar(self) -> QWidget:
        """'Filtered:' then one removable chip per facet selection; below, 'Clear filters' and 'Make this a step'."""
        self.filters_bar = QWidget()
        self.filters_bar.setToolTip(FILTER_NOTE)
        self.chips = QHBoxLayout()
        self.chips.setContentsMargins(0, 0, 0, 0)
        clear = QPushButton("Clear filters")
        clear.clicked.connect(lambda: self.model.clear_filter())
        self.make_step_button = QPushButton("Make this a step…")
        self.make_step_button.setToolTip("Keep only these rows in the recipe (a “Keep facet selection” step)")
        self.make_step_button.clicked.connect(self.keep_selection)
        actions = QHBoxLayout()
        actions.addWidget(clear)
        actions.addWidget(self.make_step_button)
        actions.addStretch(1)
        column = QVBoxLayout(self.filters_bar)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(self.chips)
        column.addLayout(actions)
        self.filters_bar.setVisible(False)
        return self.filters_bar

    def refresh_filters(self) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item is not None and (widget := item.widget()):
                widget.deleteLater()
        chips = self.model.filter_chips()
        self.filters_bar.setVisible(bool(chips))
        self.make_step_button.setEnabled(self.model.can_edit)
        if not chips:
            return
        self.chips.addWidget(label("Filtered:", "Muted"))
        for column, text in chips:
            chip = QPushButton(f"{text}  ✕")
            chip.setToolTip(f"Stop filtering on {column}. {FILTER_NOTE}")
            chip.clicked.connect(lambda _c=False, name=column: self.model.clear_filter(name))
            self.chips.addWidget(chip)
        self.chips.addStretch(1)

    # --- rendering --------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        """Below NARROW_WIDTH the facet moves under the preview, so steps, preview and facet all stay usable."""
        narrow = event.size().width() < NARROW_WIDTH
        if narrow != (self.data_split.orientation() == Qt.Orientation.Vertical):
            self._lay_out_facet(narrow)
        super().resizeEvent(event)

    def _lay_out_facet(self, narrow: bool) -> None:
        if narrow:
            self.data_split.setOrientation(Qt.Orientation.Vertical)
            self.facet.setMinimumWidth(0)
            self.facet.setMaximumWidth(16_777_215)
            self.facet.setMinimumHeight(150)
            self.data_split.setSizes([320, 200])
        else:
            self.data_split.setOrientation(Qt.Orientation.Horizontal)
            self.facet.setMinimumHeight(0)
            self.facet.setMinimumWidth(190)
            self.facet.setMaximumWidth(300)
            self.data_split.setSizes([560, 210])

    def refresh(self) -> None:
        model, recipe = self.model, self.model.recipe or {}
        self.title.setText(f"Recipe: {recipe.get('name', '')}")
        state = "turned into SQL (read-only)" if model.ejected else recipe.get("status", "")
        target = f"{words.CLEANED_TABLE} {recipe.get('model_name')}" if recipe.get("model_name") else ""
        self.subtitle.setText(f"On {model.input_text()} → {target} · {state}")
        self._fill_steps()
        can, run = model.can_edit, self.transform.can_run and not model.ejected
        tip = "" if can else ("This recipe was turned into SQL." if model.ejected else cannot_change(model.app.role))
        self.undo_button.setEnabled(can and bool(recipe.get("can_undo")))
        self.redo_button.setEnabled(can and bool(recipe.get("can_redo")))
        for b in (self.save_button, self.add_button, self.eject_button, self.docs_button):
            b.setEnabled(can)
            b.setToolTip(tip or b.toolTip())
        for b in (self.run_button, self.test_button):
            b.setEnabled(run and can)
            b.setToolTip(tip)
        self._step_buttons()

    def _fill_steps(self) -> None:
        self.steps.blockSignals(True)
        self.steps.clear()
        self.steps.addItem(QListWidgetItem(f"0. Input: {self.model.input_text()}"))
        for n, step in enumerate(self.model.steps, start=1):
            problems = self.model.problems_of(n)
            text = f"{n}. {step.get('description') or step['op']}"
            if problems:
                text += "\n⚠ " + "\n⚠ ".join(problems)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, step["id"])
            flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
            item.setFlags(flags if self.model.can_edit else flags & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if step.get("enabled", True) else Qt.CheckState.Unchecked)
            item.setToolTip("Untick to skip this step without deleting it.")
            if problems:
                item.setForeground(QBrush(QColor(DANGER)))
            elif not step.get("enabled", True):
                item.setForeground(QBrush(QColor("#94a3b8")))
            self.steps.addItem(item)
        selected = len(self.model.steps) if self.model.selected is None else self.model.selected
        self.steps.setCurrentRow(selected)
        self.steps.blockSignals(False)

    def _step_buttons(self) -> None:
        row, count = self.steps.currentRow(), len(self.model.steps)
        on_step = self.model.can_edit and row >= 1
        self.edit_button.setEnabled(on_step)
        self.delete_button.setEnabled(on_step)
        self.up_button.setEnabled(on_step and row > 1)
        self.down_button.setEnabled(on_step and row < count)

    def refresh_preview(self) -> None:
        preview = self.model.preview or {}
        self.table_model.set(preview.get("columns", []), preview.get("rows", []))
        self.summary.setText(self.model.preview_summary())
        warnings = preview.get("warnings", [])
        self.warnings.setText("\n".join(str(w) for w in warnings))
        self.warnings.setVisible(bool(warnings))

    # --- actions ----------------------------------------------------------------------------------
    def _selected(self, row: int) -> None:
        self._step_buttons()
        if row >= 0:
            self.model.select(None if row == len(self.model.steps) else row)

    def _toggled(self, item: QListWidgetItem) -> None:
        step_id = item.data(Qt.ItemDataRole.UserRole)
        if step_id:
            self.model.set_enabled(step_id, item.checkState() == Qt.CheckState.Checked)

    def _with_step(self, act: Any) -> None:
        row = self.steps.currentRow()
        if 1 <= row <= len(self.model.steps):
            act(self.model.steps[row - 1]["id"])

    def edit_step(self) -> None:
        row = self.steps.currentRow()
        if 1 <= row <= len(self.model.steps):
            step = self.model.steps[row - 1]
            self.open_step(step["op"], step["config"], step["id"])

    def choose_step(self) -> None:
        """The Add-step list; the chosen step opens its form (or the cluster dialog)."""
        picker = QtAddStepDialog(self.window(), self.transform.operations)
        picker.chosen.connect(lambda op: self.open_step(op, {}))
        self.dialog = picker
        picker.open()

    def open_step(self, op: str | None, config: dict[str, Any], step_id: str | None = None) -> None:
        if op == "clusters":
            self.cluster_column()
            return
        if op == "parse_dates":  # its own dialog: detected formats as check boxes
            self.dialog = QtParseDatesDialog(self.window(), self.model, config, step_id)
            self.dialog.open()
            return
        operation = self.transform.operation(op or "")
        if operation is None:
            return
        if op == "facet_filter" and not config and self.model.filters:
            config = facet_filter_config(self.model.filters)
        self.dialog = QtStepDialog(self.window(), self.model, operation, config, step_id, self.form_context())
        self.dialog.open()

    def form_context(self) -> FormContext:
        """The columns (with types) a step form picks from, and the tables a join or append may read."""
        columns = [(c["name"], str(c.get("type", ""))) for c in (self.model.preview or {}).get("columns", [])]
        tables = [(f"{s}.{t}", {"kind": "table", "schema": s, "table": t}) for s, t in self.transform.tables]
        own = (self.model.recipe or {}).get("model_name")
        models = [(f"cleaned table {m['name']}", {"kind": "model", "model": m["name"]}) for m in self.transform.models]
        return FormContext(columns, tables + [m for m in models if m[1]["model"] != own])

    def cluster_column(self) -> None:
        """Cluster and merge from the Add-step list: ask which column first."""
        columns = self.model.columns
        if not columns:
            return
        column, ok = QInputDialog.getItem(self, "Cluster and merge", "Which column?", columns, 0, False)
        if ok and column:
            self.dialog = QtClusterDialog(self.window(), self.model, column)
            self.dialog.open()

    def keep_selection(self) -> None:
        """Make the facet selections a "Keep facet selection" step, the form pre-filled."""
        self.open_step("facet_filter", facet_filter_config(self.model.filters) if self.model.filters else {})

    def open_docs(self) -> None:
        if self.model.recipe is not None:
            self.dialog = QtRecipeTestsDialog(self.window(), self.model)
            self.dialog.open()

    def test(self) -> None:
        if name := (self.model.recipe or {}).get("model_name"):
            self.transform.test([name])

    def column_menu(self, column: str) -> QMenu:
        menu = QMenu(self)
        for action in column_actions(column):
            entry = menu.addAction(action.label)
            entry.triggered.connect(lambda _c=False, a=action: self.column_action(column, a))
            needs_edit = action.op not in ("facet", "range_facet", "clusters")
            entry.setEnabled(self.model.can_edit or not needs_edit)
        return menu

    def facet_menu(self) -> QMenu:
        """Right-click on the facet: turn the ticked values into a step."""
        menu = QMenu(self)
        entry = menu.addAction("Make this a step (keep the ticked values)…")
        entry.setEnabled(self.model.can_edit and bool(self.model.filters))
        entry.triggered.connect(self.keep_selection)
        return menu

    def _facet_menu(self, point: QPoint) -> None:
        self.facet_menu().popup(self.facet.table.viewport().mapToGlobal(point))

    def _header_menu(self, point: QPoint) -> None:
        section = self.grid.horizontalHeader().logicalIndexAt(point)
        if 0 <= section < len(self.model.columns):
            self.column_menu(self.model.columns[section]).popup(self.grid.horizontalHeader().mapToGlobal(point))

    def column_action(self, column: str, action: ColumnAction) -> None:
        """What a column menu entry does: a panel, a prompt, a pre-filled form, or a step at once."""
        if action.op == "facet":
            self.model.load_facet(column, "text")
        elif action.op == "range_facet":
            kinds = {c["name"]: c["type"] for c in (self.model.preview or {}).get("columns", [])}
            date_like = any(t in str(kinds.get(column, "")).upper() for t in ("DATE", "TIME"))
            self.model.load_facet(column, "date" if date_like else "numeric")
        elif action.op == "clusters":
            self.dialog = QtClusterDialog(self.window(), self.model, column)
            self.dialog.open()
        elif action.op == "rename":
            new, ok = QInputDialog.getText(self, "Rename column", f"New name for {column}:", text=column)
            if ok:
                self.model.rename(column, new)
        elif action.ask:
            self.open_step(action.op, action.config)
        else:
            self.model.add_step(action.op, action.config)
