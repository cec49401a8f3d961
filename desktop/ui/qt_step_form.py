"""QtStepForm: every field of an operation's config as a real control, with rows to add and remove and
each validation message shown under the field it concerns (see desktop.state.step_form)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.state.step_form import Node, shown, value_is_list
from desktop.state.step_words import choice_label, typed
from desktop.ui.qt_step_controls import (
    CheckBox,
    ChoiceBox,
    CodeBox,
    ColumnBox,
    ColumnsPicker,
    Editor,
    FormContext,
    ListBox,
    NumberBox,
    TextBox,
    ValueBox,
)
from desktop.ui.qt_theme import DANGER, icon, label

Path = tuple[str | int, ...]
ColumnType = Callable[[], str]
ROW_WORDS = {
    "clauses": "condition", "conditions": "condition", "on": "pair of matching columns", "edits": "change",
    "operands": "number", "parts": "part", "replacements": "replacement", "others": "table", "columns": "column",
    "order_by": "sort column", "aggregates": "summary", "facets": "facet selection", "args": "input", "rules": "rule",
}  # fmt: skip


def error_label() -> QLabel:
    text = label("", "FieldError", wrap=True)
    text.setStyleSheet(f"color: {DANGER}; font-size: 9pt;")
    text.setVisible(False)
    return text


def remove_button() -> QPushButton:
    button = QPushButton(icon("close", DANGER, 16), "")
    button.setToolTip("Remove this row")
    button.setAccessibleName("Remove this row")
    button.setFixedWidth(36)
    return button


def make_editor(node: Node, ctx: FormContext, column_type: ColumnType) -> Editor:
    """The control for one node; values are typed to the column `column_type` names."""
    simple: dict[str, Callable[[], Editor]] = {
        "column": lambda: ColumnBox(node, ctx),
        "columns": lambda: ColumnsPicker(node, ctx),
        "code": lambda: CodeBox(node),
        "choice": lambda: ChoiceBox(node),
        "boolean": lambda: CheckBox(node),
        "integer": lambda: NumberBox(node),
        "number": lambda: NumberBox(node),
        "value": lambda: ValueBox(node, column_type),
        "list": lambda: ListBox(node, column_type if node.many else None),
        "mapping": lambda: MappingEdit(node, ctx),
        "objects": lambda: RowsEdit(node, ctx, column_type),
        "object": lambda: Fields(node, ctx, column_type, compact=node.compact),
        "operand": lambda: OperandBox(node, ctx),
        "variant": lambda: VariantBox(node, ctx, column_type),
        "source": lambda: SourceBox(node, ctx),
    }
    return simple.get(node.kind, lambda: TextBox(node))()


class Holder(QWidget):
    """A field: its caption (inside rows), the control, and the message about it underneath."""

    def __init__(self, node: Node, editor: Editor, caption: bool) -> None:
        super().__init__()
        self.node, self.editor = node, editor
        self.error = error_label()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if caption and node.kind != "boolean":
            column.addWidget(label(node.title + (" *" if node.required else ""), "Muted"))
        column.addWidget(editor)
        column.addWidget(self.error)
        self.setToolTip(node.description)

    def place_error(self, path: Path, message: str) -> bool:
        if not (path and self.editor.place_error(path, message)):
            self.error.setText(message)
            self.error.setVisible(True)
        return True

    def clear_errors(self) -> None:
        self.error.setVisible(False)
        self.editor.clear_errors()


class Fields(Editor):
    """An object's fields: a form (the dialog, framed rows) or one line (short rows such as a condition)."""

    def __init__(self, node: Node, ctx: FormContext, outer: ColumnType | None = None, compact: bool = False) -> None:
        super().__init__()
        self.node, self.ctx, self.outer = node, ctx, outer
        self.holders: dict[str, Holder] = {}
        self.form: QFormLayout | None = None
        if compact:
            line = QHBoxLayout(self)
            line.setContentsMargins(0, 0, 0, 0)
        else:
            self.form = QFormLayout(self)
            self.form.setContentsMargins(0, 0, 0, 0)
            self.form.setSpacing(8)
            # Captions above the controls: rows of conditions get the dialog's whole width.
            self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        for child in node.children:
            if child.kind == "fixed":
                continue
            holder = Holder(child, make_editor(child, ctx, self.column_type), caption=compact)
            holder.editor.changed.connect(self._changed)
            self.holders[child.key] = holder
            if self.form is None:
                line.addWidget(holder, 0 if child.kind == "boolean" else 1, Qt.AlignmentFlag.AlignTop)
            elif child.kind == "boolean":
                self.form.addRow("", holder)
            else:
                self.form.addRow(child.title + (" *" if child.required else ""), holder)
        self._changed()

    def column_type(self) -> str:
        """The type of this object's own column (a condition's), else the enclosing one's."""
        holder = self.holders.get("column")
        if holder is not None and isinstance(holder.editor, ColumnBox):
            return self.ctx.type_of(holder.editor.value())
        return self.outer() if self.outer else "VARCHAR"

    def _changed(self) -> None:
        values = self.value()
        visible = {c.key for c in shown(self.node, values)}
        for key, holder in self.holders.items():
            if self.form is not None:
                self.form.setRowVisible(holder, key in visible)
            else:
                holder.setVisible(key in visible)
            if isinstance(holder.editor, ValueBox):
                holder.editor.retype()
                if holder.node.many:
                    holder.editor.set_many(value_is_list(self.node, values))
        self.changed.emit()

    def value(self) -> Any:
        return {key: h.editor.value() for key, h in self.holders.items()}

    def set_value(self, value: Any) -> None:
        for key, holder in self.holders.items():
            if isinstance(value, dict) and key in value:
                holder.editor.set_value(value[key])
            elif holder.node.default is not None:
                holder.editor.set_value(holder.node.default)

    def place_error(self, path: Path, message: str) -> bool:
        holder = self.holders.get(str(path[0])) if path else None
        return holder.place_error(path[1:], message) if holder else False

    def clear_errors(self) -> None:
        for holder in self.holders.values():
            holder.clear_errors()


class RowsEdit(Editor):
    """A list of objects as rows, each with a remove button, and an "Add …" button below."""

    def __init__(self, node: Node, ctx: FormContext, outer: ColumnType) -> None:
        super().__init__()
        assert node.item is not None
        self.node, self.ctx, self.outer = node, ctx, outer
        self.rows: list[tuple[QFrame, Editor, QLabel]] = []
        self.box = QVBoxLayout()
        self.box.setSpacing(6)
        word = ROW_WORDS.get(node.title.lower()) or ROW_WORDS.get(node.key, "row")
        self.add_button = QPushButton(f"+ Add {word}")
        self.add_button.clicked.connect(lambda: self.add_row(None))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.box)
        add = QHBoxLayout()
        add.addWidget(self.add_button)
        add.addStretch(1)
        layout.addLayout(add)
        for _ in range(node.min_items):
            self.add_row(None)

    def add_row(self, value: Any) -> Editor:
        assert self.node.item is not None
        frame = QFrame()
        frame.setObjectName("StepRow")
        frame.setStyleSheet("#StepRow { border: 1px solid #dde3ea; border-radius: 6px; }")
        editor = make_editor(self.node.item, self.ctx, self.outer)
        remove = remove_button()
        remove.clicked.connect(lambda: self.remove_row(frame))
        message = error_label()
        line = QHBoxLayout()
        line.addWidget(editor, 1)
        line.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout(frame)
        column.setContentsMargins(8, 6, 6, 6)
        column.addLayout(line)
        column.addWidget(message)
        if value is not None:
            editor.set_value(value)
        editor.changed.connect(self.changed.emit)
        self.rows.append((frame, editor, message))
        self.box.addWidget(frame)
        self.changed.emit()
        return editor

    def remove_row(self, frame: QFrame) -> None:
        self.rows = [r for r in self.rows if r[0] is not frame]
        self.box.removeWidget(frame)
        frame.hide()  # deleteLater waits for the event loop; the row must go at once
        frame.deleteLater()
        self.changed.emit()

    def value(self) -> Any:
        return [editor.value() for _f, editor, _m in self.rows]

    def set_value(self, value: Any) -> None:
        for frame, _e, _m in list(self.rows):
            self.remove_row(frame)
        for item in value or []:
            self.add_row(item)

    def place_error(self, path: Path, message: str) -> bool:
        if not path or not isinstance(path[0], int) or path[0] >= len(self.rows):
            return False
        _frame, editor, row_message = self.rows[path[0]]
        if not (path[1:] and editor.place_error(path[1:], message)):
            row_message.setText(message)
            row_message.setVisible(True)
        return True

    def clear_errors(self) -> None:
        for _frame, editor, message in self.rows:
            message.setVisible(False)
            editor.clear_errors()


class MappingEdit(Editor):
    """Key → value rows (old name → new name, ID column → value), with add and remove."""

    def __init__(self, node: Node, ctx: FormContext) -> None:
        super().__init__()
        self.node, self.ctx = node, ctx
        self.rows: list[tuple[QWidget, Editor, Editor]] = []
        self.box = QVBoxLayout()
        self.add_button = QPushButton("+ Add row")
        self.add_button.clicked.connect(lambda: self.add_row("", None))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.box)
        add = QHBoxLayout()
        add.addWidget(self.add_button)
        add.addStretch(1)
        layout.addLayout(add)
        if node.required:
            self.add_row("", None)

    def add_row(self, key: Any, value: Any) -> None:
        key_node, value_node = self.node.children
        row = QWidget()
        key_editor = make_editor(key_node, self.ctx, lambda: "VARCHAR")
        typed_by_key = lambda: self.ctx.type_of(key_editor.value())  # noqa: E731
        value_editor = make_editor(value_node, self.ctx, typed_by_key)
        if isinstance(value_editor, ValueBox):
            key_editor.changed.connect(value_editor.retype)
        remove = remove_button()
        remove.clicked.connect(lambda: self._remove(row))
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        for widget in (key_editor, label("→", "Muted"), value_editor, remove):
            line.addWidget(widget, 1 if isinstance(widget, Editor) else 0)
        key_editor.set_value(key or None)
        value_editor.set_value(value)
        self.rows.append((row, key_editor, value_editor))
        self.box.addWidget(row)

    def _remove(self, row: QWidget) -> None:
        self.rows = [r for r in self.rows if r[0] is not row]
        self.box.removeWidget(row)
        row.hide()
        row.deleteLater()
        self.changed.emit()

    def value(self) -> Any:
        return [(k.value(), v.value()) for _r, k, v in self.rows]

    def set_value(self, value: Any) -> None:
        for row, _k, _v in list(self.rows):
            self._remove(row)
        for key, item in (value or {}).items():
            self.add_row(key, item)


class OperandBox(Editor):
    """A column or a fixed value (an input of a calculation, a "then" of a rule)."""

    def __init__(self, node: Node, ctx: FormContext) -> None:
        super().__init__()
        self.which = QComboBox()
        self.which.addItem("the column", "column")
        self.which.addItem("the value", "value")
        if node.nullable:
            self.which.insertItem(0, "nothing", None)
        self.column = ColumnBox(Node("column", "column", "Column", True), ctx)
        self.text = QLineEdit()
        self.text.setPlaceholderText("a value")
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        for widget in (self.which, self.column, self.text):
            line.addWidget(widget, 0 if widget is self.which else 1)
        self.which.currentIndexChanged.connect(self._show)
        self._show()

    def _show(self) -> None:
        which = self.which.currentData()
        self.column.setVisible(which == "column")
        self.text.setVisible(which == "value")
        self.changed.emit()

    def value(self) -> Any:
        which = self.which.currentData()
        if which == "column":
            return {"column": self.column.value()}
        if which == "value":
            return {"value": _auto(self.text.text())}
        return None

    def set_value(self, value: Any) -> None:
        value = value or {}
        which = "column" if "column" in value else "value" if "value" in value else self.which.itemData(0)
        self.which.setCurrentIndex(max(0, self.which.findData(which)))
        if "column" in value:
            self.column.set_value(value["column"])
        self.text.setText("" if value.get("value") is None else str(value["value"]))


def _auto(text: str) -> Any:
    """A typed constant: a number when it reads as one, else the text (empty: no value)."""
    if not text.strip():
        return None
    number = typed(text, "number")
    if isinstance(number, float):
        return int(number) if number.is_integer() and "." not in text else number
    return text


class VariantBox(Editor):
    """One of several shapes (chosen values or a range): a choice, then that shape's fields."""

    def __init__(self, node: Node, ctx: FormContext, outer: ColumnType) -> None:
        super().__init__()
        self.which = QComboBox()
        self.stack = QStackedWidget()
        self.fields: dict[str, Fields] = {}
        for tag, shape in node.variants.items():
            self.which.addItem(choice_label("kind", tag), tag)
            self.fields[tag] = Fields(shape, ctx, outer)
            self.fields[tag].changed.connect(self.changed.emit)
            self.stack.addWidget(self.fields[tag])
        self.which.currentIndexChanged.connect(lambda i: self.stack.setCurrentIndex(i))
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.which)
        column.addWidget(self.stack)

    def value(self) -> Any:
        tag = self.which.currentData()
        return {**self.fields[tag].value(), "kind": tag}

    def set_value(self, value: Any) -> None:
        tag = (value or {}).get("kind") or self.which.itemData(0)
        self.which.setCurrentIndex(max(0, self.which.findData(tag)))
        self.fields[tag].set_value(value or {})

    def place_error(self, path: Path, message: str) -> bool:
        return self.fields[self.which.currentData()].place_error(path, message)

    def clear_errors(self) -> None:
        for fields in self.fields.values():
            fields.clear_errors()


class SourceBox(Editor):
    """Another table of your data or a cleaned table (join, append)."""

    def __init__(self, node: Node, ctx: FormContext) -> None:
        super().__init__()
        self.box = QComboBox()
        self.box.addItem("(choose a table)", None)
        for text, source in ctx.sources:
            self.box.addItem(text, source)
        self.box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self._wrap(self.box)

    def value(self) -> Any:
        return self.box.currentData()

    def set_value(self, value: Any) -> None:
        if not value:
            return
        index = next((i for i in range(self.box.count()) if self.box.itemData(i) == value), -1)
        if index < 0:
            name = value.get("model") or f"{value.get('schema')}.{value.get('table')}"
            self.box.addItem(str(name), value)
            index = self.box.count() - 1
        self.box.setCurrentIndex(index)
