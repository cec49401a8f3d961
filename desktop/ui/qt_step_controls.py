"""Single controls of a step form: column pickers with types, choices, and values typed to their column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt, Signal
from PySide6.QtGui import QDoubleValidator, QFontDatabase, QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.state.step_form import Node, choice_words
from desktop.state.step_words import TYPE_WORDS, type_word, typed, value_kind

Json = dict[str, Any]


@dataclass
class FormContext:
    """What the controls offer: the current columns with their types, and the tables a step may read."""

    columns: list[tuple[str, str]] = field(default_factory=list)
    sources: list[tuple[str, Json]] = field(default_factory=list)  # (label, {"kind": "table", ...})

    def type_of(self, column: str | None) -> str:
        return next((t for c, t in self.columns if c == column), "VARCHAR")


class Editor(QWidget):
    """A control with a value; `changed` fires on every edit a person makes."""

    changed = Signal()

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def place_error(self, path: tuple[str | int, ...], message: str) -> bool:
        """Show `message` at the control `path` below this one; False when there is none."""
        return False

    def clear_errors(self) -> None:
        """Composite controls clear their rows' messages."""

    def _wrap(self, inner: QWidget) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(inner)
        self.setFocusProxy(inner)


class ColumnBox(Editor):
    """One existing column: "name · type" items; a saved name that is gone stays selectable."""

    def __init__(self, node: Node, ctx: FormContext) -> None:
        super().__init__()
        self.box = QComboBox()
        self.box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.box.setMinimumContentsLength(12)
        if node.nullable or not node.required:
            self.box.addItem("(none)", None)
        for name, sql_type in ctx.columns:
            self.box.addItem(f"{name} · {type_word(sql_type)}", name)
            self.box.setItemData(self.box.count() - 1, f"{name} ({sql_type})", Qt.ItemDataRole.ToolTipRole)
        self.box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self._wrap(self.box)

    def value(self) -> Any:
        return self.box.currentData()

    def set_value(self, value: Any) -> None:
        if value is not None and self.box.findData(value) < 0:
            self.box.addItem(f"{value} · not in the table now", value)
        self.box.setCurrentIndex(max(0, self.box.findData(value)))


class ColumnsPicker(Editor):
    """Several existing columns: a tall ticked list with "Select all" and "Select none"."""

    def __init__(self, node: Node, ctx: FormContext) -> None:
        super().__init__()
        self.list = QListWidget()
        self.list.setMinimumHeight(150)
        for name, sql_type in ctx.columns:
            self._add(name, f"{name} · {type_word(sql_type)}", f"{name} ({sql_type})")
        self.list.itemChanged.connect(lambda _i: self.changed.emit())
        every, none = QPushButton("Select all"), QPushButton("Select none")
        every.clicked.connect(lambda: self._tick_all(True))
        none.clicked.connect(lambda: self._tick_all(False))
        buttons = QHBoxLayout()
        buttons.addWidget(every)
        buttons.addWidget(none)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.setFocusProxy(self.list)

    def _add(self, name: str, text: str, tip: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, name)
        item.setToolTip(tip)
        item.setCheckState(Qt.CheckState.Unchecked)
        self.list.addItem(item)
        return item

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def _tick_all(self, on: bool) -> None:
        for item in self._items():
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def value(self) -> Any:
        ticked = Qt.CheckState.Checked
        return [i.data(Qt.ItemDataRole.UserRole) for i in self._items() if i.checkState() == ticked]

    def set_value(self, value: Any) -> None:
        wanted = list(value or [])
        known = {i.data(Qt.ItemDataRole.UserRole) for i in self._items()}
        for name in wanted:
            if name not in known:
                self._add(name, f"{name} · not in the table now", name)
        for item in self._items():
            on = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


class ChoiceBox(Editor):
    def __init__(self, node: Node) -> None:
        super().__init__()
        self.box = QComboBox()
        if node.nullable:
            self.box.addItem("(none)", None)
        for text, option in choice_words(node):
            self.box.addItem(text, option)
        self.box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self._wrap(self.box)

    def value(self) -> Any:
        return self.box.currentData()

    def set_value(self, value: Any) -> None:
        index = self.box.findData(value)
        self.box.setCurrentIndex(index if index >= 0 else 0)


class TextBox(Editor):
    """Text; with suggestions (e.g. column types in plain words) it is a drop-down that also takes typing."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.combo: QComboBox | None = None
        self.edit = QLineEdit()
        if node.suggestions:
            self.combo = QComboBox()
            self.combo.setEditable(True)
            for s in node.suggestions:
                self.combo.addItem(f"{TYPE_WORDS[s]} ({s})" if s in TYPE_WORDS else s, s)
            self.combo.setCurrentIndex(-1)
            self.combo.currentTextChanged.connect(lambda _t: self.changed.emit())
            self._wrap(self.combo)
        else:
            self.edit.setPlaceholderText(node.description)
            self.edit.textEdited.connect(lambda _t: self.changed.emit())
            self._wrap(self.edit)

    def value(self) -> Any:
        if self.combo is None:
            return self.edit.text()
        text = self.combo.currentText()
        index = self.combo.findText(text)
        return self.combo.itemData(index) if index >= 0 else text

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.combo is None:
            self.edit.setText(text)
            return
        index = self.combo.findData(text)
        self.combo.setCurrentText(self.combo.itemText(index) if index >= 0 else text)


class CodeBox(Editor):
    """A SQL statement (the advanced SQL step)."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.edit = QPlainTextEdit()
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setPlaceholderText(node.description)
        self.edit.setMinimumHeight(120)
        self.edit.textChanged.connect(self.changed.emit)
        self._wrap(self.edit)

    def value(self) -> Any:
        return self.edit.toPlainText()

    def set_value(self, value: Any) -> None:
        self.edit.setPlainText("" if value is None else str(value))


class CheckBox(Editor):
    def __init__(self, node: Node) -> None:
        super().__init__()
        self.box = QCheckBox(node.title)
        self.box.setToolTip(node.description)
        self.box.toggled.connect(lambda _on: self.changed.emit())
        self._wrap(self.box)

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.setChecked(bool(value))


class NumberBox(Editor):
    """A whole number (spin box within the schema's bounds) or a decimal number."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        whole = node.kind == "integer"
        self.box: QSpinBox | QDoubleSpinBox = QSpinBox() if whole else QDoubleSpinBox()
        low = node.minimum if node.minimum is not None else -1_000_000_000
        high = node.maximum if node.maximum is not None else 1_000_000_000
        self.box.setRange(int(low), int(high)) if isinstance(self.box, QSpinBox) else self.box.setRange(low, high)
        self.box.valueChanged.connect(lambda _v: self.changed.emit())
        self._wrap(self.box)

    def value(self) -> Any:
        return self.box.value()

    def set_value(self, value: Any) -> None:
        if isinstance(value, int | float):
            self.box.setValue(value)  # type: ignore[arg-type]


def _date(text: Any) -> QDate:
    try:
        day = dt.date.fromisoformat(str(text)[:10])
        return QDate(day.year, day.month, day.day)
    except ValueError:
        return QDate.currentDate()


def _fits(value: Any, kind: str) -> bool:
    """Whether a value kept from the previous column still means something for a column of `kind`."""
    if isinstance(value, list):
        return all(_fits(v, kind) for v in value)
    if value is None or kind == "text":
        return True
    if kind in ("integer", "number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str) and _date(value).isValid() and str(value)[:4].isdigit()


class ValueBox(Editor):
    """A value typed to its column: date picker, number field, tick box or text; several values one per line."""

    def __init__(self, node: Node, column_type: Callable[[], str]) -> None:
        super().__init__()
        self.node, self.column_type = node, column_type
        self.kind, self.many = "", False
        self.inner: QWidget = QWidget()
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.retype()

    def set_many(self, many: bool) -> None:
        if many != self.many:
            self.many = many
            self.retype(force=True)

    def retype(self, force: bool = False) -> None:
        """Rebuild the control when the column's type changed; what was typed is kept where it fits."""
        kind = value_kind(self.column_type())
        if kind == self.kind and not force:
            return
        old = self.value() if self.kind else self.node.default
        self.kind = kind
        old = old if _fits(old, kind) else None  # a date typed for another column is no number
        self.layout_.removeWidget(self.inner)
        self.inner.deleteLater()
        self.inner = self._make()
        self.layout_.addWidget(self.inner)
        self.setFocusProxy(self.inner)
        self.set_value(old)

    def _make(self) -> QWidget:
        if self.many:
            lines = QPlainTextEdit()
            lines.setPlaceholderText("one value per line")
            lines.setFixedHeight(64)
            lines.textChanged.connect(self.changed.emit)
            return lines
        if self.kind in ("date", "timestamp"):
            picker = QDateEdit() if self.kind == "date" else QDateTimeEdit()
            picker.setCalendarPopup(True)
            picker.setDateTime(QDateTime.currentDateTime())
            picker.setDisplayFormat("yyyy-MM-dd" if self.kind == "date" else "yyyy-MM-dd HH:mm")
            picker.dateTimeChanged.connect(lambda _d: self.changed.emit())
            return picker
        if self.kind == "boolean":
            box = QCheckBox("yes")
            box.toggled.connect(lambda _on: self.changed.emit())
            return box
        edit = QLineEdit()
        if self.kind in ("integer", "number"):
            edit.setValidator(QIntValidator() if self.kind == "integer" else QDoubleValidator())
            edit.setPlaceholderText("a number")
        edit.setMinimumWidth(90)
        edit.textEdited.connect(lambda _t: self.changed.emit())
        return edit

    def value(self) -> Any:
        w = self.inner
        if isinstance(w, QPlainTextEdit):
            return [typed(line, self.kind) for line in w.toPlainText().splitlines() if line.strip()]
        if isinstance(w, QDateTimeEdit):  # QDateEdit too
            shown = "yyyy-MM-dd" if self.kind == "date" else "yyyy-MM-dd HH:mm:ss"
            return w.dateTime().toString(shown)
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QLineEdit):
            return typed(w.text(), self.kind) if w.text().strip() else None
        return None

    def set_value(self, value: Any) -> None:
        w = self.inner
        if isinstance(w, QPlainTextEdit):
            values = value if isinstance(value, list) else [] if value in (None, "") else [value]
            w.setPlainText("\n".join(str(v) for v in values))
        elif isinstance(w, QDateTimeEdit):
            first = value[0] if isinstance(value, list) and value else value
            if first not in (None, "", []):
                w.setDateTime(QDateTime(_date(first), w.time()))
        elif isinstance(w, QCheckBox):
            w.setChecked(value is True or str(value).lower() in ("true", "yes"))
        elif isinstance(w, QLineEdit):
            first = value[0] if isinstance(value, list) and value else value
            w.setText("" if first in (None, []) else str(first))


class ListBox(Editor):
    """Several entries, one per line (date formats, values to turn into columns, JSON paths)."""

    def __init__(self, node: Node, column_type: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.column_type = column_type
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText(node.description or "one per line")
        self.edit.setFixedHeight(84)
        self.edit.setToolTip("One per line")
        self.edit.textChanged.connect(self.changed.emit)
        self._wrap(self.edit)

    def value(self) -> Any:
        kind = value_kind(self.column_type()) if self.column_type else "text"
        lines = [line for line in self.edit.toPlainText().splitlines() if line.strip()]
        return [typed(line, kind) if kind != "text" else line.strip() for line in lines]

    def set_value(self, value: Any) -> None:
        self.edit.setPlainText("\n".join("" if v is None else str(v) for v in (value or [])))
