"""The Data grid hides the columns Dalgo adds while loading (a toggle shows them), and a new filter starts at the top."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.state.grid import shown_columns
from desktop.ui.qt_main import QtMainWindow
from tests.desktop.sources_helpers import WAIT, click, synced_csv_source, write_csv

pytest_plugins = ["tests.desktop.sources_fixtures"]  # the window fixture
pytestmark = [pytest.mark.qt, pytest.mark.e2e]


def test_shown_columns_leave_out_dalgo_columns_unless_asked() -> None:
    names = ["id", "_dalgo_loaded_at", "village", "_dalgo_batch_id"]
    assert shown_columns(names, False) == ["id", "village"]
    assert shown_columns(names, True) == names


def test_system_columns_hidden_until_asked_and_a_filter_scrolls_to_the_top(
    qtbot: QtBot, window: QtMainWindow, admin: DalgoClient, tmp_path: Path
) -> None:
    synced_csv_source(admin, write_csv(tmp_path / "clinic_visits.csv", 300))
    window.shell.go("data")
    page, grid = window.shell.data_page, window.shell.data_page.grid
    qtbot.waitUntil(lambda: page.table_item("raw_clinic_visits", "clinic_visits") is not None, timeout=WAIT)
    page.open_table("raw_clinic_visits", "clinic_visits")
    qtbot.waitUntil(lambda: page.view.model().rowCount() == 100 and not grid.loading, timeout=WAIT)
    names = [c.name for c in grid.columns]
    system = [i for i, n in enumerate(names) if n.startswith("_dalgo_")]
    assert system, names  # the loader adds them; the grid must hide them
    assert all(page.view.isColumnHidden(i) for i in system)
    filter_names = [page.filters.column.itemText(i) for i in range(page.filters.column.count())]
    assert filter_names == ["id", "name", "district", "age"]
    page.system_columns.setChecked(True)
    assert not any(page.view.isColumnHidden(i) for i in system)
    assert page.filters.column.count() == len(names)
    page.system_columns.setChecked(False)

    page.view.verticalScrollBar().setValue(page.view.verticalScrollBar().maximum())
    assert page.view.verticalScrollBar().value() > 0
    page.filters.column.setCurrentText("district")
    page.filters.op.setCurrentIndex(page.filters.op.findData("eq"))
    qtbot.keyClicks(page.filters.value, "north")
    click(qtbot, page.filters.add_button)
    qtbot.waitUntil(lambda: grid.total == 75 and not grid.loading, timeout=WAIT)
    qtbot.waitUntil(lambda: page.view.verticalScrollBar().value() == 0, timeout=WAIT)
