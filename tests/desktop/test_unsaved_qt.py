"""Unsaved stream choices are marked, and actions that would use the saved ones ask first."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.ui.qt_dialogs import QtSaveFirstDialog
from desktop.ui.qt_main import QtMainWindow
from tests.desktop.sources_helpers import WAIT, click, wait_job, write_csv

pytest_plugins = ["tests.desktop.sources_fixtures"]  # the window fixture
pytestmark = [pytest.mark.qt, pytest.mark.e2e]


def open_new_file_source(qtbot: QtBot, window: QtMainWindow, admin: DalgoClient, tmp_path: Path) -> None:
    upload = admin.upload_file(write_csv(tmp_path / "clinic_visits.csv", 30))
    admin.create_source("Clinic visits", "csv", {"upload_id": upload.id})
    window.shell.go("sources")
    page = window.shell.sources_page
    qtbot.waitUntil(lambda: page.model.selected is not None, timeout=WAIT)


def test_a_new_file_syncs_in_one_click_without_choosing_streams(
    qtbot: QtBot, window: QtMainWindow, admin: DalgoClient, tmp_path: Path
) -> None:
    open_new_file_source(qtbot, window, admin, tmp_path)
    page = window.shell.sources_page
    assert page.model.selected.streams is None  # type: ignore[union-attr]
    click(qtbot, page.detail.sync_button)
    qtbot.waitUntil(lambda: bool(page.model.syncs.history), timeout=WAIT)
    job = wait_job(admin, page.model.syncs.history[0].id)
    assert job.status == "succeeded" and (job.result or {}).get("rows") == 30


def test_a_changed_mode_is_marked_and_sync_now_asks_to_save_first(
    qtbot: QtBot, window: QtMainWindow, admin: DalgoClient, tmp_path: Path
) -> None:
    open_new_file_source(qtbot, window, admin, tmp_path)
    page, shell = window.shell.sources_page, window.shell
    page.model.discover(page.model.selected)  # type: ignore[arg-type]
    streams = page.detail.streams
    qtbot.waitUntil(lambda: streams.table.rowCount() == 1, timeout=WAIT)
    assert not page.model.unsaved and streams.save_button.property("kind") != "primary"
    assert shell.nav["sources"].text().strip() == "Sources"
    streams.set_mode("clinic_visits", "incremental_append")
    assert page.model.unsaved and streams.save_button.property("kind") == "primary"
    assert shell.nav["sources"].text().endswith("●")

    click(qtbot, page.detail.sync_button)
    ask = page.dialog
    assert isinstance(ask, QtSaveFirstDialog) and ask.isVisible()
    assert [ask.cancel_button.text(), ask.skip_button.text(), ask.ok_button.text()] == [
        "Cancel", "Sync without saving", "Save and sync"
    ]  # fmt: skip
    click(qtbot, ask.cancel_button)
    assert page.model.unsaved and not page.model.syncs.history  # nothing ran, the change is still there

    shell.go("data")  # leaving the page with unsaved changes asks too
    leave = page.dialog
    assert isinstance(leave, QtSaveFirstDialog) and shell.current == "sources"
    click(qtbot, leave.skip_button)
    assert shell.current == "data" and not page.model.unsaved
    assert shell.nav["sources"].text().strip() == "Sources"
    shell.go("sources")
    assert streams.table.cellWidget(0, 3).currentData() == "full_refresh"  # type: ignore[union-attr]

    streams.set_mode("clinic_visits", "full_refresh")
    streams.set_selected("clinic_visits", False)
    streams.set_selected("clinic_visits", True)
    assert not page.model.unsaved  # back to what is saved: nothing to mark


def test_unsaved_sql_is_marked_and_leaving_asks_first(qtbot: QtBot, window: QtMainWindow, admin: DalgoClient) -> None:
    admin.create_sql_model("visit_counts", "select 1 as visits")
    shell = window.shell
    shell.go("transform")
    page = shell.transform_page
    qtbot.waitUntil(lambda: any(i.model == "visit_counts" for i in page.model.items), timeout=WAIT)
    page.open_item(next(i for i in page.model.items if i.model == "visit_counts"))
    editor = page.sql_editor
    qtbot.waitUntil(lambda: "select 1" in editor.text.toPlainText(), timeout=WAIT)
    assert not page.unsaved and editor.save_button.text() == "Save SQL"

    editor.text.setPlainText("select 2 as visits")
    assert page.unsaved and editor.save_button.text().endswith("●")
    assert shell.nav["transform"].text().endswith("●")

    shell.go("data")  # leaving asks; Cancel stays with the typed SQL
    ask = page.dialog
    assert isinstance(ask, QtSaveFirstDialog) and ask.isVisible() and shell.current == "transform"
    click(qtbot, ask.cancel_button)
    assert page.unsaved and editor.text.toPlainText() == "select 2 as visits"

    shell.go("data")  # Save and leave: saved on the server, then the page changes
    click(qtbot, page.dialog.ok_button)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: shell.current == "data", timeout=WAIT)
    assert "select 2" in admin.get_model("visit_counts")["sql"]
    assert not shell.nav["transform"].text().endswith("●")
