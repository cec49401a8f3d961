"""QtSpecForm: form rows generated from a connector's JSON-schema spec (see desktop.state.spec_form)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.state.spec_form import MASK, FieldSpec, initial_value, json_text
from desktop.ui.qt_theme import label

INT_LIMIT = 2_147_483_647


def _text(spec: FieldSpec, value: Any) -> QWidget:
    if spec.options:  # examples: suggestions, anything may be typed
        combo = QComboBox()
        combo.setEditable(True)
        combo.addItems([str(o) for o in spec.options])
        combo.setCurrentText("" if value is None else str(value))
        return combo
    edit = QLineEdit("" if value is None else str(value))
    edit.setPlaceholderText(spec.placeholder)
    return edit


def _secret(spec: FieldSpec, saved: bool) -> QWidget:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(f"{MASK}  saved; type to replace" if saved else "")
    return edit


def _integer(spec: FieldSpec, value: Any) -> QWidget:
    box = QSpinBox()
    box.setRange(int(spec.minimum if spec.minimum is not None else -INT_LIMIT),
                 int(spec.maximum if spec.maximum is not None else INT_LIMIT))  # fmt: skip
    box.setValue(int(value) if isinstance(value, int | float) else box.minimum() if box.minimum() > 0 else 0)
    return box


def _number(spec: FieldSpec, value: Any) -> QWidget:
    box = QDoubleSpinBox()
    box.setDecimals(4)
    box.setRange(float(spec.minimum if spec.minimum is not None else -1e12),
                 float(spec.maximum if spec.maximum is not None else 1e12))  # fmt: skip
    box.setValue(float(value) if isinstance(value, int | float) else 0.0)
    return box


def _choice(spec: FieldSpec, value: Any) -> QWidget:
    combo = QComboBox()
    for option in spec.options:
        combo.addItem(str(option), option)
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)
    return combo


def _json(spec: FieldSpec, value: Any) -> QWidget:
    edit = QPlainTextEdit(json_text(value))
    edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    edit.setFixedHeight(84)
    edit.setPlaceholderText('JSON, e.g. ["a", "b"]' if value is None or isinstance(value, list) else "JSON")
    return edit


class QtSpecForm(QWidget):
    """One editor per field (the upload field is the dialog's file picker, not a row here)."""

    def __init__(self, fields: list[FieldSpec], config: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.fields = [f for f in fields if f.kind != "upload"]
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(8)
        for spec in self.fields:
            editor = self._editor(spec, config)
            self.editors[spec.key] = editor
            editor.setToolTip(spec.description)
            form.addRow(spec.title + (" *" if spec.required else ""), self._with_help(editor, spec))

    def _editor(self, spec: FieldSpec, config: dict[str, Any] | None) -> QWidget:
        value = initial_value(spec, config)
        if spec.kind == "secret":
            return _secret(spec, bool(config and config.get(spec.key) == MASK))
        if spec.kind == "boolean":
            box = QCheckBox()
            box.setChecked(bool(value))
            return box
        makers = {"integer": _integer, "number": _number, "choice": _choice, "json": _json}
        return makers.get(spec.kind, _text)(spec, value)

    def _with_help(self, editor: QWidget, spec: FieldSpec) -> QWidget:
        if not spec.description:
            return editor
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        help_text = label(spec.description, "Muted", wrap=True)
        help_text.setStyleSheet("font-size: 8.5pt;")
        column.addWidget(help_text)
        return holder

    def values(self) -> dict[str, Any]:
        """The raw value of every editor (text, number, bool, or JSON text), keyed by config key."""
        result: dict[str, Any] = {}
        for key, editor in self.editors.items():
            if isinstance(editor, QCheckBox):
                result[key] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                result[key] = editor.value()
            elif isinstance(editor, QComboBox):
                result[key] = editor.currentText() if editor.isEditable() else editor.currentData()
            elif isinstance(editor, QPlainTextEdit):
                result[key] = editor.toPlainText()
            elif isinstance(editor, QLineEdit):
                result[key] = editor.text()
        return result

    def set_value(self, key: str, value: Any) -> None:
        """Fill one editor as a person would (used by tests and drag-and-drop presets)."""
        editor = self.editors[key]
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.setValue(value)
        elif isinstance(editor, QComboBox):
            if editor.isEditable():
                editor.setCurrentText(str(value))
            else:
                editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, QPlainTextEdit):
            editor.setPlainText(value if isinstance(value, str) else json_text(value))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value))
