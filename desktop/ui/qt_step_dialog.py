"""The step dialog (a form generated from the operation's schema, scrolling, buttons always visible) and the
Add-step list grouped by purpose with a search box."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.state.recipe import RecipeModel
from desktop.state.step_form import collect, depth, form_of, title_at
from desktop.state.step_words import grouped, refusal
from desktop.ui.qt_step_controls import FormContext
from desktop.ui.qt_step_form import Fields, error_label
from desktop.ui.qt_theme import label, set_kind

Json = dict[str, Any]


def fit_to_screen(dialog: QDialog, width: int, content: int) -> None:
    """As wide as asked and as tall as the content, but never larger than the screen's free area."""
    screen = (dialog.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    dialog.resize(min(width, screen.width() - 40), min(max(content, 320), screen.height() - 60))


class QtStepDialog(QDialog):
    """Add or edit one step. Problems show under the field they concern and the dialog keeps what was typed."""

    def __init__(
        self,
        parent: QWidget | None,
        model: RecipeModel,
        operation: Json,
        config: Json,
        step_id: str | None = None,
        ctx: FormContext | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.op, self.step_id = model, operation["op"], step_id
        self.setWindowTitle(operation["name"])
        self.node = form_of(operation["config_schema"])
        self.form = Fields(self.node, ctx or FormContext())
        self.form.set_value(config)
        self.inputs = {key: holder.editor for key, holder in self.form.holders.items()}
        self.problem = error_label()
        self.advanced = QCheckBox("Show the settings as text (advanced)")
        self.advanced.setToolTip("The step's configuration as the server stores it (JSON), read-only")
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.raw.setVisible(False)
        self.advanced.toggled.connect(self._show_raw)
        self.form.changed.connect(lambda: self._show_raw(self.advanced.isChecked()))
        self.cancel_button, self.ok_button = QPushButton("Cancel"), QPushButton("Save step" if step_id else "Add step")
        set_kind(self.ok_button, "primary")
        self.ok_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button.clicked.connect(self.submit)
        body = self._lay_out(operation["name"])
        fit_to_screen(self, 760 if depth(self.node) < 2 else 960, body.sizeHint().height() + 150)

    def _lay_out(self, title: str) -> QWidget:
        body = QWidget()
        body.setObjectName("StepBody")
        body.setStyleSheet("#StepBody { background: transparent; }")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 8, 0)
        column.addWidget(self.form)
        column.addWidget(self.advanced)
        column.addWidget(self.raw)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.viewport().setAutoFillBackground(False)
        scroll.setWidget(body)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(label(title, "Section"))
        layout.addWidget(self.problem)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        return body

    def _show_raw(self, on: bool) -> None:
        if not on and not self.raw.isVisible():
            return
        config, _errors = collect(self.node, self.form.value())
        self.raw.setPlainText(json.dumps(config, ensure_ascii=False, indent=2))
        self.raw.setVisible(on)

    def values(self) -> Json:
        """The config built from the controls (ValueError with the first problem in plain words)."""
        config, errors = collect(self.node, self.form.value())
        if errors:
            path, message = next(iter(errors.items()))
            raise ValueError(f"{title_at(self.node, path)}: {message}")
        return dict(config)

    def show_problems(self, problems: list[tuple[tuple[str | int, ...], str]], general: str = "") -> None:
        """Each message under its field; what fits no field goes above the form."""
        self.form.clear_errors()
        lines = [general] if general else []
        for path, message in problems:
            if not self.form.place_error(path, message):
                lines.append(f"{title_at(self.node, path) or 'This step'}: {message}")
        self.problem.setText("\n".join(lines))
        self.problem.setVisible(bool(lines))

    def submit(self) -> None:
        config, errors = collect(self.node, self.form.value())
        self.show_problems(list(errors.items()))
        if errors:
            return
        self.ok_button.setEnabled(False)
        if self.step_id:
            self.model.update_step(self.step_id, config, then=self.accept, failed=self.refused)
        else:
            self.model.add_step(self.op, config, then=self.accept, failed=self.refused)

    def refused(self, err: BaseException) -> None:
        """The server said no: show why next to the field, keep the dialog and its input."""
        self.ok_button.setEnabled(True)
        problems, general = refusal(err)
        self.show_problems(problems, general)
        if getattr(err, "status", 0) not in (400, 422):  # not about the form: sign-in expired, server gone
            self.model.app.handle_error(err)


class QtAddStepDialog(QDialog):
    """Every step by purpose (the same order each time) with a search box; `chosen` carries the op."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None, operations: list[Json]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a step")
        self.operations = operations
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search steps, e.g. date, duplicate, rename")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.fill)
        self.search.returnPressed.connect(self._first)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.itemActivated.connect(lambda item, _c: self._choose(item))
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._choose(item))
        self.ok_button, cancel = QPushButton("Choose"), QPushButton("Cancel")
        set_kind(self.ok_button, "primary")
        self.ok_button.clicked.connect(lambda: self._choose(self.tree.currentItem()))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(label("Add a step", "Section"))
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.fill("")
        fit_to_screen(self, 460, 640)

    def fill(self, query: str) -> None:
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for group, ops in grouped(self.operations, query):
            head = QTreeWidgetItem([group])
            head.setFont(0, bold)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(head)
            for op in ops:
                entry = QTreeWidgetItem([op["name"]])
                entry.setData(0, Qt.ItemDataRole.UserRole, op["op"])
                head.addChild(entry)
        self.tree.expandAll()
        self.tree.scrollToTop()

    def entries(self) -> list[tuple[str, str]]:
        """(group, step name) as listed now, top to bottom."""
        out: list[tuple[str, str]] = []
        for g in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(g)
            assert head is not None
            out.extend((head.text(0), head.child(i).text(0)) for i in range(head.childCount()))  # type: ignore[union-attr]
        return out

    def _first(self) -> None:
        head = self.tree.topLevelItem(0)
        if head is not None and head.childCount():
            self._choose(head.child(0))

    def _choose(self, item: QTreeWidgetItem | None) -> None:
        op = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if op:
            self.accept()
            self.chosen.emit(op)
