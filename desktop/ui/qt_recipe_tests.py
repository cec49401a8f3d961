"""Tests & descriptions of a recipe's model: the model description, a description per output column, column tests."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop.state.banner import Level
from desktop.state.recipe import RecipeModel
from desktop.state.recipe_tests import SEVERITIES, TEST_KINDS, describe_test, make_test
from desktop.ui.qt_dialogs import QtFormDialog

Json = dict[str, Any]
INTRO = (
    "Saved with the cleaned table when you save the recipe. Test runs them: a failing test of severity "
    "Warning shows as a warning, one of severity Error fails the test run."
)


class QtRecipeTestsDialog(QtFormDialog):
    """Edit the description, column descriptions and tests; OK keeps them with the recipe."""

    def __init__(self, parent: QWidget | None, model: RecipeModel) -> None:
        super().__init__(parent, "Tests & descriptions", INTRO, "OK")
        self.setMinimumWidth(620)
        self.model = model
        self.tests: list[Json] = model.tests
        self.description = QLineEdit(model.description)
        self.description.setPlaceholderText("What this model holds")
        self.form.addRow("Model description", self.description)
        self.form.addRow("Columns", self._columns_table())
        self.test_list = QListWidget()
        self.test_list.setMinimumHeight(110)
        self.remove_button = QPushButton("Remove test")
        self.remove_button.clicked.connect(self.remove_test)
        self.form.addRow("Tests", self.test_list)
        self.form.addRow("", self.remove_button)
        self.form.addRow("Add a test", self._add_row())
        self._fill_tests()

    def _columns_table(self) -> QTableWidget:
        described = self.model.column_descriptions
        names = self.model.columns + [c for c in described if c not in self.model.columns]
        self.columns = QTableWidget(len(names), 2)
        self.columns.setHorizontalHeaderLabels(["Column", "Description"])
        self.columns.verticalHeader().setVisible(False)
        self.columns.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, name in enumerate(names):
            cell = QTableWidgetItem(name)
            cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.columns.setItem(row, 0, cell)
            self.columns.setItem(row, 1, QTableWidgetItem(described.get(name, "")))
        self.columns.setMinimumHeight(140)
        return self.columns

    def _add_row(self) -> QWidget:
        self.column_box, self.test_box, self.severity_box = QComboBox(), QComboBox(), QComboBox()
        self.column_box.setEditable(True)
        self.column_box.addItems(self.model.columns)
        for key, text in TEST_KINDS.items():
            self.test_box.addItem(text, key)
        for key, text in SEVERITIES.items():
            self.severity_box.addItem(text, key)
        self.severity_box.setCurrentIndex(self.severity_box.findData("error"))
        self.values = QLineEdit()
        self.values.setPlaceholderText("Accepted values, comma-separated")
        self.values.setVisible(False)
        self.test_box.currentIndexChanged.connect(
            lambda _i: self.values.setVisible(self.test_box.currentData() == "accepted_values")
        )
        self.add_button = QPushButton("Add test")
        self.add_button.clicked.connect(self.add_test)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.column_box, self.test_box, self.values, self.severity_box, self.add_button):
            layout.addWidget(widget)
        return row

    def _fill_tests(self) -> None:
        self.test_list.clear()
        for item in self.tests:
            self.test_list.addItem(QListWidgetItem(describe_test(item)))
        self.remove_button.setEnabled(bool(self.tests))

    def add_test(self) -> None:
        try:
            item = make_test(
                self.column_box.currentText(),
                str(self.test_box.currentData()),
                self.values.text(),
                str(self.severity_box.currentData()),
            )
        except ValueError as err:
            self.model.app.banner.show(str(err), Level.error)
            return
        self.tests.append(item)
        self.values.clear()
        self._fill_tests()

    def remove_test(self) -> None:
        row = self.test_list.currentRow()
        if 0 <= row < len(self.tests):
            del self.tests[row]
            self._fill_tests()

    def column_texts(self) -> dict[str, str]:
        out = {}
        for row in range(self.columns.rowCount()):
            name, text = self.columns.item(row, 0), self.columns.item(row, 1)
            if name is not None and text is not None:
                out[name.text()] = text.text()
        return out

    def submit(self) -> None:
        self.model.save_docs(self.description.text(), self.column_texts(), self.tests, then=self.accept)
