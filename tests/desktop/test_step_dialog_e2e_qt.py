"""Step dialogs driven like a user would (offscreen) against the real server: Filter rows by clause rows,
a date picker for a date column, a refusal shown under its field, Keep facet selection from the facet."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDateEdit, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.ui.qt_step_dialog import QtAddStepDialog, QtStepDialog
from desktop.ui.qt_step_form import Fields, RowsEdit
from desktop.ui.qt_transform import QtTransformPage
from tests.desktop.test_transform_qt import WAIT, click, new_recipe, page  # noqa: F401  (page is a fixture)

pytestmark = [pytest.mark.qt, pytest.mark.e2e]


def pick(box: Any, data: Any) -> None:
    index = box.findData(data)
    assert index >= 0, data
    box.setCurrentIndex(index)


def add_step_dialog(qtbot: QtBot, page: QtTransformPage, search: str) -> QtStepDialog:  # noqa: F811
    editor = page.recipe_editor
    click(qtbot, editor.add_button)
    picker = editor.dialog
    assert isinstance(picker, QtAddStepDialog)
    qtbot.keyClicks(picker.search, search)
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    dialog = editor.dialog
    assert isinstance(dialog, QtStepDialog) and dialog.isVisible()
    return dialog


def condition(rows: RowsEdit, n: int) -> Fields:
    row = rows.rows[n][1]
    assert isinstance(row, Fields)
    return row


def set_condition(qtbot: QtBot, row: Fields, column: str, operator: str, value: str) -> None:
    pick(row.holders["column"].editor.box, column)  # type: ignore[attr-defined]
    pick(row.holders["operator"].editor.box, operator)  # type: ignore[attr-defined]
    inner = row.holders["value"].editor.inner  # type: ignore[attr-defined]
    assert isinstance(inner, QLineEdit)
    qtbot.keyClicks(inner, value)


def test_filter_rows_with_clause_rows_added_and_removed(qtbot: QtBot, page: QtTransformPage) -> None:  # noqa: F811
    new_recipe(qtbot, page)
    dialog = add_step_dialog(qtbot, page, "filter rows")
    rows = dialog.inputs["clauses"]
    assert isinstance(rows, RowsEdit) and len(rows.rows) == 1
    set_condition(qtbot, condition(rows, 0), "district", "contains", "North")
    click(qtbot, rows.add_button)
    click(qtbot, rows.add_button)
    set_condition(qtbot, condition(rows, 1), "city", "contains", "never there")
    set_condition(qtbot, condition(rows, 2), "households", ">", "5")
    middle = rows.rows[1][0]
    remove = [b for b in middle.findChildren(type(rows.add_button)) if b.toolTip() == "Remove this row"]
    qtbot.waitUntil(remove[0].isVisible)  # a row added to a shown dialog appears on the next event loop turn
    click(qtbot, remove[0])
    assert len(rows.rows) == 2
    click(qtbot, dialog.ok_button)
    editor = page.recipe_editor
    qtbot.waitUntil(lambda: editor.steps.count() == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: editor.table_model.rowCount() == 2, timeout=WAIT)  # North with 12 and 7 households
    assert not dialog.isVisible()
    assert page.recipe.steps[0]["config"]["clauses"][1] == {
        "column": "households", "operator": ">", "value": 5, "value2": None, "value_column": None,
    }  # fmt: skip


def test_a_date_column_gets_a_date_picker(qtbot: QtBot, page: QtTransformPage) -> None:  # noqa: F811
    new_recipe(qtbot, page)
    page.recipe.add_step("parse_dates", {"column": "surveyed_on", "formats": ["dd/mm/yyyy"]})
    qtbot.waitUntil(lambda: page.recipe_editor.steps.count() == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: "surveyed_on" in page.recipe.columns and page.recipe.preview is not None, timeout=WAIT)
    dialog = add_step_dialog(qtbot, page, "filter rows")
    row = condition(dialog.inputs["clauses"], 0)  # type: ignore[arg-type]
    pick(row.holders["column"].editor.box, "surveyed_on")  # type: ignore[attr-defined]
    pick(row.holders["operator"].editor.box, ">=")  # type: ignore[attr-defined]
    picker = row.holders["value"].editor.inner  # type: ignore[attr-defined]
    assert isinstance(picker, QDateEdit) and picker.calendarPopup()
    picker.setDate(QDate(2024, 2, 3))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.recipe_editor.steps.count() == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: page.recipe_editor.table_model.rowCount() == 3, timeout=WAIT)  # 3, 4 and 5 February


def test_a_refused_step_shows_the_reason_under_the_field_and_keeps_the_input(
    qtbot: QtBot,
    page: QtTransformPage,  # noqa: F811
) -> None:
    new_recipe(qtbot, page)
    dialog = add_step_dialog(qtbot, page, "cast")
    rows = dialog.inputs["columns"]
    assert isinstance(rows, RowsEdit)
    row = condition(rows, 0)
    pick(row.holders["column"].editor.box, "households")  # type: ignore[attr-defined]
    kind = row.holders["type"].editor.combo  # type: ignore[attr-defined]
    kind.setCurrentText("")
    qtbot.keyClicks(kind.lineEdit(), "NUMBERISH")
    click(qtbot, dialog.ok_button)
    error = row.holders["type"].error
    qtbot.waitUntil(lambda: error.isVisibleTo(dialog), timeout=WAIT)
    assert error.text() == "“NUMBERISH” is not a type this step knows; choose one from the list."
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    assert kind.currentText() == "NUMBERISH" and row.holders["column"].editor.value() == "households"
    assert page.recipe_editor.steps.count() == 1
    kind.setCurrentIndex(kind.findData("BIGINT"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.recipe_editor.steps.count() == 2, timeout=WAIT)
    assert not dialog.isVisible()


def test_keep_facet_selection_is_filled_from_the_ticked_values(qtbot: QtBot, page: QtTransformPage) -> None:  # noqa: F811
    new_recipe(qtbot, page)
    editor, recipe = page.recipe_editor, page.recipe
    recipe.load_facet("district")
    qtbot.waitUntil(lambda: editor.facet.table.rowCount() == 3, timeout=WAIT)  # " North", "North", "South"
    menu = editor.facet_menu()
    assert not menu.actions()[0].isEnabled()  # nothing ticked yet
    recipe.toggle_value("district", "South")  # what a click on the facet's "South" row does
    qtbot.waitUntil(lambda: editor.table_model.rowCount() == 2, timeout=WAIT)
    assert editor.make_step_button.isVisible() and editor.make_step_button.isEnabled()
    action = editor.facet_menu().actions()[0]
    assert action.text().startswith("Make this a step") and action.isEnabled()
    action.trigger()
    dialog = editor.dialog
    assert isinstance(dialog, QtStepDialog) and dialog.op == "facet_filter"
    facet = dialog.inputs["facets"].rows[0][1]  # type: ignore[attr-defined]
    fields = facet.fields["values"]
    assert fields.holders["column"].editor.value() == "district"
    assert fields.holders["values"].editor.value() == ["South"]
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: editor.steps.count() == 2, timeout=WAIT)
    recipe.clear_filter()
    qtbot.waitUntil(lambda: not recipe.filters and editor.table_model.rowCount() == 2, timeout=WAIT)  # kept by the step
    assert "district" in editor.steps.item(1).text()
