"""QtDataPage: the warehouse as schemas → tables → columns; a table in a server-paged grid with profile and export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.client.data_models import TableInfo
from desktop.state import roles, words
from desktop.state.data import DataModel
from desktop.state.grid import EXPORT_FORMATS, PAGE_SIZES, is_system, shown_columns
from desktop.ui.qt_fit import QtElidedLabel
from desktop.ui.qt_grid import GridTableModel, QtFilterBar, QtProfilePanel
from desktop.ui.qt_sources import set_card_text, stacked_page, state_card
from desktop.ui.qt_theme import BORDER, PRIMARY_SOFT, TEXT, label, set_kind
from desktop.ui.qt_transfer import QtTransferBar

KIND = Qt.ItemDataRole.UserRole  # "schema" / "table" / "column" / "loading"
WHERE = Qt.ItemDataRole.UserRole + 1  # (schema, table[, column])


class QtDataPage(QWidget):
    def __init__(self, model: DataModel, go: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.model, self.grid = model, model.grid
        self.intro = label("", "Muted", wrap=True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(model.load)
        head = QHBoxLayout()
        head.addWidget(self.intro, 1)
        head.addWidget(self.refresh_button)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Table", "Rows"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setIndentation(14)
        self.tree.header().setStretchLastSection(False)
        self.tree.itemExpanded.connect(self._expanded)
        self.tree.itemClicked.connect(self._clicked)
        grid_side = self._table_side()
        self.profile = QtProfilePanel(self.grid)
        left = QSplitter(Qt.Orientation.Vertical)  # the tree above the profile: the grid keeps the width
        profile_scroll = QScrollArea()
        profile_scroll.setWidget(self.profile)
        profile_scroll.setWidgetResizable(True)
        profile_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left.addWidget(self.tree)
        left.addWidget(profile_scroll)
        left.setSizes([250, 380])
        left.setChildrenCollapsible(False)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(grid_side)
        split.setSizes([300, 700])
        split.setChildrenCollapsible(False)
        sources_button = QPushButton("Go to Sources")
        set_kind(sources_button, "primary")
        sources_button.clicked.connect(lambda: go and go("sources"))
        self.empty, _ = state_card(
            "No data yet",
            "Add a source and sync it; its tables appear here, ready to browse, filter and download.",
            sources_button,
        )
        self.not_allowed, self.not_allowed_text = state_card("Your role cannot browse the data", "")
        self.stack = stacked_page(self, head, split, self.empty, self.not_allowed)
        self.split = split
        model.changed.connect(self.refresh)
        model.columns_loaded.connect(self._columns_loaded)
        self.grid.changed.connect(self._grid_changed)
        self.refresh()
        self._grid_changed()

    def _table_side(self) -> QWidget:
        self.table_title = QtElidedLabel("Pick a table on the left to see its rows.", "Section")
        self.page_text = label("", "Muted")
        self.filters = QtFilterBar(self.grid)
        self.view = QTableView()
        self.view.setModel(GridTableModel(self.grid))
        self.view.setAlternatingRowColors(True)
        self.view.setStyleSheet(
            f"QTableView {{ background: white; border: 1px solid {BORDER}; gridline-color: #eef2f6; "
            f"selection-background-color: {PRIMARY_SOFT}; selection-color: {TEXT}; alternate-background-color: #f8fafc; }}"
        )
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setSectionsClickable(True)
        self.view.horizontalHeader().sectionClicked.connect(self._header_clicked)
        self.view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.view.verticalHeader().setDefaultSectionSize(26)
        self.view.selectionModel().currentChanged.connect(self._cell_changed)
        self.previous_button = QPushButton("Previous")
        self.next_button = QPushButton("Next")
        self.previous_button.clicked.connect(self.grid.previous_page)
        self.next_button.clicked.connect(self.grid.next_page)
        self.page_size = QComboBox()
        for size in PAGE_SIZES:
            self.page_size.addItem(f"{size} rows per page", size)
        self.page_size.setCurrentIndex(PAGE_SIZES.index(self.grid.page_size))
        self.page_size.currentIndexChanged.connect(lambda _i: self.grid.set_page_size(self.page_size.currentData()))
        self.download_button = QToolButton()
        self.download_button.setText("Download")
        self.download_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.download_button.setObjectName("UserMenu")
        menu = QMenu(self.download_button)
        for fmt, caption in EXPORT_FORMATS.items():
            action = QAction(f"{caption}…", menu)
            action.triggered.connect(lambda _c=False, f=fmt: self.choose_export(f))
            menu.addAction(action)
        self.download_button.setMenu(menu)
        self.download_bar = QtTransferBar()
        self.system_columns = QCheckBox("Show system columns")
        self.system_columns.setToolTip("Columns Dalgo adds when it loads data (_dalgo_loaded_at, _dalgo_batch_id)")
        self.system_columns.toggled.connect(lambda _on: self._grid_changed())
        self._rows_shown: object = None
        paging = QHBoxLayout()
        paging.addWidget(self.previous_button)
        paging.addWidget(self.next_button)
        paging.addWidget(self.page_size)
        paging.addWidget(self.system_columns)
        paging.addStretch(1)
        paging.addWidget(self.download_bar, 2)
        paging.addWidget(self.download_button)
        head = QHBoxLayout()
        head.addWidget(self.table_title, 1)
        head.addWidget(self.page_text)
        grid_side = QWidget()
        column = QVBoxLayout(grid_side)
        column.setContentsMargins(12, 0, 0, 0)
        column.setSpacing(8)
        column.addLayout(head)
        column.addWidget(self.filters)
        column.addWidget(self.view, 1)
        column.addLayout(paging)
        return grid_side

    # --- the tree ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        model, org = self.model, self.model.app.org
        readable = org is not None and model.can_read
        if org is not None and not readable:
            set_card_text(
                self.not_allowed_text,
                f"Your role ({roles.label(org.role).lower()}) in {org.org.name} cannot browse the data. "
                "Ask an admin to make you an analyst to see it.",
            )
        empty = model.loaded and not model.tables
        self.stack.setCurrentWidget(self.not_allowed if not readable else self.empty if empty else self.split)
        self.refresh_button.setVisible(readable)
        self.intro.setVisible(readable)
        schemas = model.schemas()
        n = len(model.tables)
        self.intro.setText(
            f"{words.plural(n, 'table')} in {words.plural(len(schemas), 'group')} of "
            f"{org.org.name if org else 'your'} data." + (" Loading…" if model.loading else "")
        )
        self._fill_tree(schemas)

    def _fill_tree(self, schemas: dict[str, list[TableInfo]]) -> None:
        self.tree.clear()
        for schema, tables in schemas.items():
            top = QTreeWidgetItem([schema, ""])
            top.setData(0, KIND, "schema")
            top.setToolTip(0, f"{words.place(schema).capitalize()} (schema {schema} in {words.YOUR_DATA})")
            self.tree.addTopLevelItem(top)
            for info in tables:
                item = QTreeWidgetItem([info.name, f"{info.rows:,}" if info.rows is not None else info.kind])
                item.setData(0, KIND, "table")
                item.setData(0, WHERE, (schema, info.name))
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                placeholder = QTreeWidgetItem(["Loading columns…"])
                placeholder.setData(0, KIND, "loading")
                item.addChild(placeholder)
                top.addChild(item)
            top.setExpanded(True)

    def table_item(self, schema: str, table: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            children = (top.child(j) for j in range(top.childCount())) if top is not None else ()
            for child in children:
                if child is not None and child.data(0, WHERE) == (schema, table):
                    return child
        return None

    def _expanded(self, item: QTreeWidgetItem) -> None:
        if item.data(0, KIND) == "table":
            self.model.load_columns(*item.data(0, WHERE))

    def _columns_loaded(self, schema: str, table: str) -> None:
        item = self.table_item(schema, table)
        if item is None:
            return
        item.takeChildren()
        for column in self.model.columns.get((schema, table), []):
            child = QTreeWidgetItem([column.name, words.type_name(column.type)])
            child.setToolTip(1, words.type_tip(column.type))
            child.setData(0, KIND, "column")
            child.setData(0, WHERE, (schema, table, column.name))
            if column.original_name and column.original_name != column.name:
                child.setToolTip(0, f"In the source: {column.original_name}")
            item.addChild(child)

    def _clicked(self, item: QTreeWidgetItem) -> None:
        kind, where = item.data(0, KIND), item.data(0, WHERE)
        if kind == "table":
            self.open_table(*where)
        elif kind == "column":
            schema, table, column = where
            if (self.grid.schema, self.grid.table) != (schema, table):
                self.open_table(schema, table)
            self.grid.load_profile(column)

    def open_table(self, schema: str, table: str) -> None:
        self.model.open(schema, table)

    # --- the grid ---------------------------------------------------------------------------------
    def _grid_changed(self) -> None:
        grid = self.grid
        self.table_title.setText(
            f"{grid.schema}.{grid.table}" if grid.is_open else "Pick a table on the left to see its rows."
        )
        self.page_text.setText(("Loading… " if grid.loading else "") + (grid.page_text() if grid.is_open else ""))
        show_system = grid.show_system = self.system_columns.isChecked()
        self.filters.set_columns(shown_columns([c.name for c in grid.columns], show_system))
        self.filters.show_filters()
        self.filters.setEnabled(grid.is_open)
        self.previous_button.setEnabled(grid.has_previous)
        self.next_button.setEnabled(grid.has_next)
        self.page_size.setEnabled(grid.is_open)
        self.download_button.setEnabled(grid.is_open)
        self.download_button.setVisible(self.model.can_export)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        if grid.columns and not grid.loading:
            self.view.resizeColumnsToContents()
            for i in range(len(grid.columns)):
                header.resizeSection(i, min(header.sectionSize(i), 260))
        for i, col in enumerate(grid.columns):
            self.view.setColumnHidden(i, is_system(col.name) and not show_system)
        if grid.rows is not self._rows_shown and not grid.loading:  # a new page, sort or filter starts at the top
            self._rows_shown = grid.rows
            self.view.scrollToTop()

    def _header_clicked(self, section: int) -> None:
        if 0 <= section < len(self.grid.columns):
            self.grid.sort_by(self.grid.columns[section].name)

    def _cell_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and current.column() < len(self.grid.columns):
            self.grid.load_profile(self.grid.columns[current.column()].name)

    # --- download ---------------------------------------------------------------------------------
    def choose_export(self, fmt: str) -> None:
        suggested = str(Path.home() / f"{self.grid.table}.{fmt}")
        caption = EXPORT_FORMATS[fmt]
        path, _f = QFileDialog.getSaveFileName(self, f"Download {self.grid.table} as {caption}", suggested,
                                               f"{caption} (*.{fmt})")  # fmt: skip
        if path:
            self.export_to(fmt, Path(path))

    def export_to(self, fmt: str, path: Path) -> None:
        """Download the table with the current filters and sort to `path`, with progress below the grid."""
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        transfer = self.grid.start_export(fmt, path)
        if transfer is not None:
            self.download_bar.follow(transfer)
