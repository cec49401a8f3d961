"""Every operation's step dialog, built from its real schema and filled in like a person would (offscreen)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateEdit, QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from desktop.state.step_form import collect
from desktop.ui.qt_step_controls import (
    CodeBox,
    ColumnBox,
    ColumnsPicker,
    Editor,
    FormContext,
    ListBox,
    TextBox,
    ValueBox,
)
from desktop.ui.qt_step_dialog import QtAddStepDialog, QtStepDialog
from desktop.ui.qt_step_form import Fields, Holder, MappingEdit, OperandBox, RowsEdit, SourceBox, VariantBox
from pipelines.recipes.ops import OPERATIONS

pytestmark = pytest.mark.qt
CTX = FormContext(
    [("id", "BIGINT"), ("village", "VARCHAR"), ("surveyed_on", "DATE"), ("income", "DOUBLE"), ("head", "BOOLEAN")],
    [("raw_villages.villages", {"kind": "table", "schema": "raw_villages", "table": "villages"})],
)
TEXT = {"find": "a", "separator": ",", "pattern": "[0-9]+", "function": "upper", "formats": "dd/mm/yyyy"}


class NoModel:
    """The dialogs here are never submitted to a server: the engine's own parser judges the config."""


def pick(box: Any, data: Any) -> None:
    box.setCurrentIndex(box.findData(data))


def fill(editor: Editor, key: str, qtbot: QtBot) -> None:
    """Fill one control with a sensible value, through the widgets a person uses."""
    if isinstance(editor, Fields):
        for name, holder in editor.holders.items():
            if holder.isVisibleTo(editor):
                fill(holder.editor, name, qtbot)
    elif isinstance(editor, RowsEdit):
        if not editor.rows:
            qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
        for _frame, row, _message in editor.rows:
            fill(row, key, qtbot)
    elif isinstance(editor, VariantBox):
        fill(editor.fields[editor.which.currentData()], key, qtbot)
    elif isinstance(editor, MappingEdit):
        if not editor.rows:
            qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
        _row, name_editor, value_editor = editor.rows[0]
        fill(name_editor, "name", qtbot)
        fill(value_editor, "renamed", qtbot)
    else:
        fill_leaf(editor, key, qtbot)


def fill_leaf(editor: Editor, key: str, qtbot: QtBot) -> None:
    if isinstance(editor, ColumnBox):
        pick(editor.box, "village")
    elif isinstance(editor, ColumnsPicker):
        next(
            editor.list.item(i) for i in range(editor.list.count()) if "village" in editor.list.item(i).text()
        ).setCheckState(Qt.CheckState.Checked)
    elif isinstance(editor, OperandBox):
        pick(editor.which, "column")
        pick(editor.column.box, "village")
    elif isinstance(editor, SourceBox):
        editor.box.setCurrentIndex(1)
    elif isinstance(editor, TextBox) and editor.combo is not None:
        editor.combo.setCurrentIndex(0)
    elif isinstance(editor, TextBox):
        qtbot.keyClicks(editor.edit, TEXT.get(key, f"new_{key}"))
    elif isinstance(editor, CodeBox):
        editor.edit.setPlainText("SELECT * FROM _prev")
    elif isinstance(editor, ListBox):
        editor.edit.setPlainText(TEXT.get(key, "Rampur"))
    elif isinstance(editor, ValueBox) and isinstance(editor.inner, QLineEdit):
        qtbot.keyClicks(editor.inner, "Rampur")
    elif isinstance(editor, ValueBox) and isinstance(editor.inner, QPlainTextEdit):
        editor.inner.setPlainText("Rampur")


def no_json_box(widget: QWidget) -> bool:
    texts = [w.placeholderText() for w in widget.findChildren(QPlainTextEdit) + widget.findChildren(QLineEdit)]
    return not any("JSON" in t for t in texts)


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_every_operation_form_builds_a_config_the_engine_accepts(qtbot: QtBot, op: str) -> None:
    spec = OPERATIONS[op]
    operation = {"op": op, "name": spec.name, "config_schema": spec.config_schema()}
    dialog = QtStepDialog(None, NoModel(), operation, {}, None, CTX)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    assert no_json_box(dialog.form) and not dialog.raw.isVisible()
    fill(dialog.form, "", qtbot)
    config, errors = collect(dialog.node, dialog.form.value())
    assert not errors, (op, errors)
    spec.parse(config)  # what the server runs on POST /recipes/{id}/steps
    assert dialog.values() == config
    again = QtStepDialog(None, NoModel(), operation, config, "step-1", CTX)  # type: ignore[arg-type]
    qtbot.addWidget(again)
    assert again.values() == config and again.ok_button.text() == "Save step"  # editing shows what was saved


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_every_step_dialog_fits_the_screen_with_its_buttons_visible(qtbot: QtBot, op: str) -> None:
    spec = OPERATIONS[op]
    operation = {"op": op, "name": spec.name, "config_schema": spec.config_schema()}
    dialog = QtStepDialog(None, NoModel(), operation, {}, None, CTX)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
    for button in (dialog.ok_button, dialog.cancel_button):
        corner = button.mapTo(dialog, button.rect().bottomRight())
        assert button.isVisible() and dialog.rect().contains(corner), (op, button.text())
    for picker in dialog.form.findChildren(ColumnsPicker):
        assert picker.list.height() >= 150


def open_where(qtbot: QtBot, config: dict[str, Any] | None = None) -> QtStepDialog:
    spec = OPERATIONS["where"]
    operation = {"op": "where", "name": spec.name, "config_schema": spec.config_schema()}
    dialog = QtStepDialog(None, NoModel(), operation, config or {}, None, CTX)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_value_fields_follow_the_type_of_the_chosen_column(qtbot: QtBot) -> None:
    dialog = open_where(qtbot)
    clauses = dialog.inputs["clauses"]
    assert isinstance(clauses, RowsEdit) and len(clauses.rows) == 1
    row = clauses.rows[0][1]
    assert isinstance(row, Fields)
    value = row.holders["value"].editor
    assert isinstance(value, ValueBox)
    pick(row.holders["column"].editor.box, "surveyed_on")  # type: ignore[attr-defined]
    assert isinstance(value.inner, QDateEdit) and value.inner.calendarPopup()
    pick(row.holders["column"].editor.box, "income")  # type: ignore[attr-defined]
    assert isinstance(value.inner, QLineEdit) and value.inner.validator() is not None
    qtbot.keyClicks(value.inner, "12.5")
    pick(row.holders["operator"].editor.box, "is_null")
    assert not row.holders["value"].isVisibleTo(row)
    pick(row.holders["operator"].editor.box, "in")
    assert row.holders["value"].isVisibleTo(row) and isinstance(value.inner, QPlainTextEdit)
    assert value.value() == [12.5]  # kept across the switch to several values, typed as a number


def test_a_missing_value_is_shown_under_its_field_and_the_input_stays(qtbot: QtBot) -> None:
    dialog = open_where(qtbot, {"clauses": [{"column": "village", "operator": "="}], "match": "any"})
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    row = dialog.inputs["clauses"].rows[0][1]  # type: ignore[attr-defined]
    holder: Holder = row.holders["value"]
    assert (
        dialog.isVisible()
        and holder.error.isVisibleTo(dialog)
        and holder.error.text() == "Type a value to compare with."
    )
    assert row.holders["column"].editor.value() == "village" and dialog.inputs["match"].value() == "any"


def test_add_step_list_groups_steps_searches_and_opens_at_the_top(qtbot: QtBot) -> None:
    operations = [{"op": op, "name": spec.name, "family": spec.family} for op, spec in OPERATIONS.items()]
    picker = QtAddStepDialog(None, operations)
    qtbot.addWidget(picker)
    picker.show()
    first = picker.entries()
    assert first[0][0] == "Clean text" and ("Fix values", "Cluster and merge") in first
    qtbot.keyClicks(picker.search, "duplicate")
    assert picker.entries() == [("Rows", "Remove duplicates")]
    with qtbot.waitSignal(picker.chosen) as chosen:
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    assert chosen.args == ["deduplicate"]
    again = QtAddStepDialog(None, operations)
    qtbot.addWidget(again)
    assert again.entries() == first and again.tree.verticalScrollBar().value() == 0
