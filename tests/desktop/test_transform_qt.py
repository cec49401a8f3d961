"""The Transform page driven like a user would (offscreen), against the real server and real dbt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QPushButton
from pytestqt.qtbot import QtBot

from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.ui.qt_recipe_dialogs import QtClusterDialog
from desktop.ui.qt_recipe_tests import QtRecipeTestsDialog
from desktop.ui.qt_runner import QtRunner
from desktop.ui.qt_step_dialog import QtAddStepDialog, QtStepDialog
from desktop.ui.qt_transform import QtNewRecipeDialog, QtTransformPage
from tests.desktop.conftest import ADMIN, PASSWORD
from tests.desktop.transform_helpers import load_csv

pytestmark = [pytest.mark.qt, pytest.mark.e2e]
WAIT = 30_000


@pytest.fixture
def page(qtbot: QtBot, url: str, dalgo_home: Path, tmp_path: Path) -> Iterator[QtTransformPage]:
    """The Transform page of a signed-in admin, with a CSV synced as a source."""
    runner = QtRunner()
    state = AppState(
        runner, FileCredentialStore(dalgo_home / "credentials.json"), Preferences(dalgo_home / "desktop.json")
    )
    state.local_ready(ServerTarget.local(url, dalgo_home))
    qtbot.waitUntil(lambda: state.screen == Screen.onboarding, timeout=WAIT)
    state.setup(ADMIN, PASSWORD, PASSWORD, "Alpha Office", False)
    qtbot.waitUntil(lambda: state.screen == Screen.main, timeout=WAIT)
    assert state.client is not None and state.org is not None
    state.client.use_org(state.org.org.slug)
    load_csv(state.client, tmp_path)
    widget = QtTransformPage(state)
    widget.model.poll_interval = 0.1
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    widget.activate()
    qtbot.waitUntil(lambda: bool(widget.model.tables and widget.model.operations), timeout=WAIT)
    yield widget
    runner.wait()


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def steps_text(steps: QListWidget) -> list[str]:
    return [steps.item(i).text() for i in range(steps.count())]


def new_recipe(qtbot: QtBot, page: QtTransformPage) -> None:
    click(qtbot, page.new_recipe_button)
    dialog = page.dialog
    assert isinstance(dialog, QtNewRecipeDialog)
    qtbot.keyClicks(dialog.name, "Clean villages")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.recipe.preview is not None, timeout=WAIT)
    assert page.editors.currentWidget() is page.recipe_editor


def test_palette_step_updates_the_preview_undo_and_cluster_merge(qtbot: QtBot, page: QtTransformPage) -> None:
    new_recipe(qtbot, page)
    editor = page.recipe_editor
    assert editor.table_model.rowCount() == 5 and "5 rows" in editor.summary.text()
    city = page.recipe.columns.index("city")
    click(qtbot, editor.add_button)
    picker = editor.dialog
    assert isinstance(picker, QtAddStepDialog)
    qtbot.keyClicks(picker.search, "change case")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    dialog = editor.dialog
    assert isinstance(dialog, QtStepDialog)
    columns = dialog.inputs["columns"].list  # type: ignore[attr-defined]
    assert isinstance(columns, QListWidget)
    city_item = next(columns.item(i) for i in range(columns.count()) if columns.item(i).text().startswith("city"))
    city_item.setCheckState(Qt.CheckState.Checked)
    case = dialog.inputs["case"].box  # type: ignore[attr-defined]
    case.setCurrentIndex(case.findData("upper"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: editor.steps.count() == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: editor.table_model.index(1, city).data() == "BENGALURU", timeout=WAIT)
    assert "city" in steps_text(editor.steps)[1].lower()

    click(qtbot, editor.undo_button)
    qtbot.waitUntil(lambda: editor.steps.count() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: editor.table_model.index(1, city).data() == "bengaluru", timeout=WAIT)
    assert editor.redo_button.isEnabled() and not editor.undo_button.isEnabled()

    trim = next(a for a in editor.column_menu("city").actions() if a.text() == "Trim spaces")
    trim.trigger()
    qtbot.waitUntil(lambda: editor.steps.count() == 2, timeout=WAIT)
    cluster_entry = next(a for a in editor.column_menu("city").actions() if a.text().startswith("Cluster"))
    cluster_entry.trigger()
    clusters = editor.dialog
    assert isinstance(clusters, QtClusterDialog)
    qtbot.waitUntil(lambda: clusters.table.rowCount() == 1, timeout=WAIT)
    assert "bengaluru (1)" in clusters.table.item(0, 1).text()  # type: ignore[union-attr]
    clusters.table.item(0, 3).setText("Bengaluru City")  # type: ignore[union-attr]
    click(qtbot, clusters.ok_button)
    qtbot.waitUntil(lambda: editor.steps.count() == 3, timeout=WAIT)
    qtbot.waitUntil(
        lambda: [editor.table_model.index(r, city).data() for r in range(3)] == ["Bengaluru City"] * 3, timeout=WAIT
    )
    assert "Bengaluru City" in steps_text(editor.steps)[2]

    drop = next(a for a in editor.column_menu("city").actions() if a.text() == "Drop column")
    drop.trigger()
    qtbot.waitUntil(lambda: editor.steps.count() == 4, timeout=WAIT)
    page.recipe.add_step("trim", {"columns": ["city"]})
    qtbot.waitUntil(lambda: editor.steps.count() == 5, timeout=WAIT)
    broken = editor.steps.item(4)
    assert "⚠" in broken.text() and broken.foreground().color() == QColor("#b91c1c")


def test_save_and_run_shows_per_model_status_and_the_sql_editor_saves(qtbot: QtBot, page: QtTransformPage) -> None:
    new_recipe(qtbot, page)
    page.recipe.add_step("trim", {"columns": ["city"]})
    qtbot.waitUntil(lambda: page.recipe_editor.steps.count() == 2, timeout=WAIT)
    click(qtbot, page.recipe_editor.run_button)
    qtbot.waitUntil(lambda: page.model.job is not None and not page.model.job.active, timeout=60_000)
    assert page.job_box.isVisible() and "succeeded" in page.job_title.text()
    cells = [page.job_table.item(0, c).text() for c in range(3)]  # type: ignore[union-attr]
    assert cells[:2] == ["clean_villages", "Succeeded"]
    qtbot.waitUntil(
        lambda: any("Succeeded" in page.list.item(i).text() for i in range(page.list.count())), timeout=WAIT
    )

    page.model.new_sql_model("city_counts", "select city, count(*) as n from {{ ref('clean_villages') }} group by 1")
    qtbot.waitUntil(lambda: page.sql.model is not None and page.sql.model["name"] == "city_counts", timeout=WAIT)
    editor = page.sql_editor
    assert page.editors.currentWidget() is editor and not editor.text.isReadOnly()
    block = editor.text.document().firstBlock()
    formats = {r.format.foreground().color().name() for r in block.layout().formats()}
    assert "#1d4ed8" in formats and "#9333ea" in formats  # keywords and the Jinja ref
    editor.text.setPlainText("-- by city\nselect city from {{ ref('clean_villages') }}")
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: "-- by city" in (page.sql.model or {}).get("sql", ""), timeout=WAIT)
    comment = editor.text.document().firstBlock().layout().formats()
    assert comment and comment[0].format.fontItalic()

    page.sql.open("clean_villages")
    qtbot.waitUntil(lambda: (page.sql.model or {}).get("name") == "clean_villages", timeout=WAIT)
    assert editor.text.isReadOnly() and "recipe" in editor.note.text() and not editor.save_button.isEnabled()


def test_facet_click_filters_the_preview_and_a_range_narrows_it(qtbot: QtBot, page: QtTransformPage) -> None:
    new_recipe(qtbot, page)
    editor, facet = page.recipe_editor, page.recipe_editor.facet
    page.recipe.add_step("trim", {"columns": ["city"]})
    qtbot.waitUntil(lambda: editor.steps.count() == 2, timeout=WAIT)
    next(a for a in editor.column_menu("city").actions() if a.text() == "Text facet").trigger()
    qtbot.waitUntil(lambda: facet.isVisible() and facet.table.rowCount() == 5, timeout=WAIT)
    values = [facet.table.item(r, 0).text() for r in range(5)]  # type: ignore[union-attr]
    row = values.index("Mysuru")
    cell = facet.table.visualItemRect(facet.table.item(row, 0))  # type: ignore[arg-type]
    qtbot.mouseClick(facet.table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    qtbot.waitUntil(lambda: editor.table_model.rowCount() == 1, timeout=WAIT)
    assert editor.filters_bar.isVisible() and "city = Mysuru" in page.recipe.filter_text()
    assert "matching the filters" in editor.summary.text()
    qtbot.waitUntil(lambda: facet.table.item(row, 0).checkState() == Qt.CheckState.Checked, timeout=WAIT)  # type: ignore[union-attr]
    assert len(page.recipe.steps) == 1  # the recipe did not change

    next(a for a in editor.column_menu("households").actions() if a.text().startswith("Numeric")).trigger()
    qtbot.waitUntil(lambda: facet.range_row.isVisible(), timeout=WAIT)
    page.recipe.clear_filter("city")
    qtbot.waitUntil(lambda: editor.table_model.rowCount() == 5 and not editor.filters_bar.isVisible(), timeout=WAIT)
    facet.low.setText("4")
    facet.high.setText("9")
    click(qtbot, facet.apply_range)
    qtbot.waitUntil(lambda: editor.table_model.rowCount() == 3, timeout=WAIT)  # 7, 9 and 4 households
    chips = [b for b in editor.filters_bar.findChildren(QPushButton) if "households" in b.text()]
    assert chips and "from 4 to 9" in chips[0].text()
    click(qtbot, chips[0])
    qtbot.waitUntil(lambda: editor.table_model.rowCount() == 5 and not page.recipe.filters, timeout=WAIT)


def test_tests_and_descriptions_dialog_adds_an_accepted_values_test(qtbot: QtBot, page: QtTransformPage) -> None:
    new_recipe(qtbot, page)
    editor = page.recipe_editor
    click(qtbot, editor.docs_button)
    dialog = editor.dialog
    assert isinstance(dialog, QtRecipeTestsDialog)
    names = [dialog.columns.item(r, 0).text() for r in range(dialog.columns.rowCount())]  # type: ignore[union-attr]
    assert "city" in names and "district" in names
    dialog.columns.item(names.index("city"), 1).setText("Where the village is")  # type: ignore[union-attr]
    qtbot.keyClicks(dialog.description, "Villages surveyed")
    dialog.column_box.setCurrentText("district")
    dialog.test_box.setCurrentIndex(dialog.test_box.findData("accepted_values"))
    assert dialog.values.isVisible()
    click(qtbot, dialog.add_button)  # no values yet: refused with a message
    assert dialog.test_list.count() == 0 and "accepted values of district" in page.state.banner.notice.text  # type: ignore[union-attr]
    qtbot.keyClicks(dialog.values, "North, South")
    dialog.severity_box.setCurrentIndex(dialog.severity_box.findData("warn"))
    click(qtbot, dialog.add_button)
    assert [dialog.test_list.item(i).text() for i in range(dialog.test_list.count())] == [
        "district: Only these values (North, South) — Warning"
    ]
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: bool(page.recipe.tests), timeout=WAIT)
    assert page.recipe.tests == [
        {"column": "district", "test": "accepted_values", "values": ["North", "South"], "severity": "warn"}
    ]
    assert page.recipe.description == "Villages surveyed"
    assert page.recipe.column_descriptions == {"city": "Where the village is"}
