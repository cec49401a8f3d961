"""The Data page driven like a user would (offscreen): tree, server-paged grid, sort, filter, profile, export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.ui.qt_main import QtMainWindow
from tests.desktop.sources_helpers import WAIT, click, synced_csv_source, write_csv

pytest_plugins = ["tests.desktop.sources_fixtures"]  # the window and kobo fixtures
pytestmark = [pytest.mark.qt, pytest.mark.e2e]


def test_open_sort_filter_page_profile_and_export_a_synced_table(
    qtbot: QtBot,
    window: QtMainWindow,
    admin: DalgoClient,
    tmp_path: Path,
) -> None:
    page = window.shell.data_page
    click(qtbot, window.shell.nav["data"])
    qtbot.waitUntil(lambda: page.model.loaded, timeout=WAIT)
    assert page.stack.currentWidget() is page.empty  # "Your warehouse is empty" until a source is synced
    synced_csv_source(admin, write_csv(tmp_path / "clinic_visits.csv", 250))
    click(qtbot, page.refresh_button)
    qtbot.waitUntil(lambda: page.table_item("raw_clinic_visits", "clinic_visits") is not None, timeout=WAIT)
    item = page.table_item("raw_clinic_visits", "clinic_visits")
    assert item is not None and item.text(1) == "250"
    item.setExpanded(True)
    qtbot.waitUntil(lambda: item.childCount() == 6 and item.child(0).text(0) == "id", timeout=WAIT)
    qtbot.mouseClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=page.tree.visualItemRect(item).center())
    grid, view = page.grid, page.view
    qtbot.waitUntil(lambda: view.model().rowCount() == 100, timeout=WAIT)
    assert page.table_title.text() == "raw_clinic_visits.clinic_visits"
    assert page.page_text.text() == "Rows 1 to 100 of 250" and not page.previous_button.isEnabled()

    header = view.horizontalHeader()
    for _ in range(2):  # ascending, then descending
        qtbot.mouseClick(
            header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(header.sectionViewportPosition(0) + 8, 8)
        )
        qtbot.waitUntil(lambda: not grid.loading, timeout=WAIT)
    assert view.model().headerData(0, Qt.Orientation.Horizontal) == "id ▼"
    assert view.model().index(0, 0).data() == "250"

    page.filters.column.setCurrentText("district")
    page.filters.op.setCurrentIndex(page.filters.op.findData("eq"))
    qtbot.keyClicks(page.filters.value, "north")
    click(qtbot, page.filters.add_button)
    qtbot.waitUntil(lambda: grid.total == 62 and not grid.loading, timeout=WAIT)
    chip = page.filters.chips.itemAt(0).widget()
    assert chip.text() == "district = north  ✕"  # type: ignore[union-attr]
    page.page_size.setCurrentIndex(page.page_size.findData(50))
    qtbot.waitUntil(lambda: page.page_text.text() == "Rows 1 to 50 of 62", timeout=WAIT)
    click(qtbot, page.next_button)
    qtbot.waitUntil(lambda: page.page_text.text() == "Rows 51 to 62 of 62", timeout=WAIT)
    assert view.model().rowCount() == 12 and not page.next_button.isEnabled()
    assert view.model().headerData(0, Qt.Orientation.Vertical) == "51"

    view.setCurrentIndex(view.model().index(0, 3))  # a cell of 'age': its profile shows beside the grid
    profile = page.profile
    qtbot.waitUntil(lambda: grid.profile is not None and grid.profile.column == "age", timeout=WAIT)
    assert profile.title.text() == "Profile of age" and profile.values["max"].text() == "49"
    assert profile.values["nulls"].text() == "0 (0.0 %)" and profile.histogram.isVisible()

    page.export_to("csv", tmp_path / "north")
    qtbot.waitUntil(lambda: (tmp_path / "north.csv").exists(), timeout=WAIT)
    qtbot.waitUntil(lambda: not page.download_bar.isVisible(), timeout=WAIT)
    rows = list(csv.DictReader((tmp_path / "north.csv").open(encoding="utf-8")))
    assert len(rows) == 62 and {r["district"] for r in rows} == {"north"}
    assert [int(r["id"]) for r in rows[:2]] == [248, 244]  # the grid's sort came along
    assert "Saved clinic_visits (1 filter" in window.banner.text.text()

    click(qtbot, chip)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: grid.total == 250 and grid.filters == [], timeout=WAIT)
