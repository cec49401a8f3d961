"""The Sources page driven like a user would (offscreen) against the real server, a CSV file and the Kobo fake."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.ui.qt_main import QtMainWindow
from desktop.ui.qt_source_dialogs import QtLogDialog, QtSourceDialog
from tests.desktop.conftest import invite_and_join
from tests.desktop.sources_helpers import (
    WAIT,
    cell,
    click,
    switch_user,
    synced_csv_source,
    write_csv,
)
from tests.fakes.kobo import TOKEN, KoboFake

pytest_plugins = ["tests.desktop.sources_fixtures"]  # the window and kobo fixtures
pytestmark = [pytest.mark.qt, pytest.mark.e2e]


def banner_text(win: QtMainWindow) -> str:
    return win.banner.text.text() if win.banner.isVisible() else ""


def open_add_dialog(qtbot: QtBot, win: QtMainWindow) -> QtSourceDialog:
    page = win.shell.sources_page
    click(qtbot, win.shell.nav["sources"])
    qtbot.waitUntil(lambda: page.model.loaded and page.model.connectors != [], timeout=WAIT)
    click(qtbot, page.add_button)
    assert isinstance(page.dialog, QtSourceDialog) and page.dialog.isVisible()
    return page.dialog


def test_add_a_csv_source_sync_it_and_read_the_history(qtbot: QtBot, window: QtMainWindow, tmp_path: Path) -> None:
    page = window.shell.sources_page
    dialog = open_add_dialog(qtbot, window)
    assert page.stack.currentWidget() is page.empty  # "No sources yet — add one to bring data in"
    dialog.choose_connector("csv")
    assert dialog.drop_zone is not None and dialog.form is not None and "header" in dialog.form.editors
    dialog.use_file(write_csv(tmp_path / "clinic_visits.csv", 250))
    qtbot.waitUntil(lambda: dialog.upload is not None, timeout=WAIT)
    assert dialog.name.text() == "Clinic visits" and "clinic_visits.csv" in dialog.drop_zone.text.text()
    dialog.form.set_value("header", "yes")
    click(qtbot, dialog.ok_button)
    streams = page.detail.streams
    qtbot.waitUntil(lambda: not dialog.isVisible() and streams.table.rowCount() == 1, timeout=WAIT)
    assert cell(page.list, 0, 0) == "Clinic visits" and cell(page.list, 0, 2) == "Never"
    assert cell(streams.table, 0, 1) == "clinic_visits" and cell(streams.table, 0, 2) == "4"
    assert not streams.table.cellWidget(0, 5).isEnabled()  # primary key only matters for dedup
    streams.set_mode("clinic_visits", "incremental_dedup")
    assert streams.table.cellWidget(0, 4).currentText() == "id" and streams.table.cellWidget(0, 5).isEnabled()
    click(qtbot, streams.save_button)
    qtbot.waitUntil(lambda: page.model.selected.streams[0].sync_mode == "incremental_dedup", timeout=WAIT)  # type: ignore[union-attr, index]

    click(qtbot, page.detail.sync_button)
    progress = page.detail.progress
    qtbot.waitUntil(lambda: progress.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: progress.bar.maximum() == 100 and progress.bar.value() == 100, timeout=WAIT)
    assert progress.text.text().startswith("250 rows") and not progress.cancel_button.isVisible()
    assert banner_text(window).startswith("Sync finished: 250 rows")
    history = page.detail.history
    page.detail.tabs.setCurrentWidget(history)
    qtbot.waitUntil(lambda: history.table.rowCount() == 1, timeout=WAIT)
    assert cell(history.table, 0, 0) == "Succeeded" and cell(history.table, 0, 3) == "250 rows"
    assert "clinic_visits: 250 rows (incremental dedup)" in history.details.toPlainText()
    qtbot.waitUntil(lambda: cell(page.list, 0, 4) == "250", timeout=WAIT)
    assert cell(page.list, 0, 2) == "Succeeded"
    click(qtbot, history.log_button)
    qtbot.waitUntil(lambda: isinstance(page.dialog, QtLogDialog), timeout=WAIT)
    assert "succeeded" in page.dialog.text.toPlainText()  # type: ignore[union-attr]


def test_a_wrong_kobo_token_reads_as_what_to_do(
    qtbot: QtBot,
    window: QtMainWindow,
    kobo: tuple[KoboFake, str],
) -> None:
    _fake, kobo_url = kobo
    page = window.shell.sources_page
    dialog = open_add_dialog(qtbot, window)
    dialog.choose_connector("kobotoolbox")
    assert dialog.drop_zone is None
    token = dialog.form.editors["api_token"]  # type: ignore[union-attr]
    assert token.echoMode() == token.EchoMode.Password  # type: ignore[attr-defined]
    click(qtbot, dialog.ok_button)
    assert "Fill in the API token." in banner_text(window) and dialog.isVisible()
    dialog.name.setText("Kobo households")
    dialog.form.set_value("server_url", kobo_url)  # type: ignore[union-attr]
    qtbot.keyClicks(token, "an-old-token")
    click(qtbot, dialog.ok_button)
    message = "KoboToolbox token rejected → edit the source and paste a new token"
    qtbot.waitUntil(lambda: message in banner_text(window), timeout=WAIT)
    assert not dialog.isVisible() and window.banner.property("level") == "error"

    click(qtbot, page.detail.edit_button)
    edit = page.dialog
    assert isinstance(edit, QtSourceDialog) and edit.form is not None
    assert edit.form.editors["api_token"].text() == ""  # type: ignore[attr-defined]  # never shown again
    assert "saved" in edit.form.editors["api_token"].placeholderText()  # type: ignore[attr-defined]
    qtbot.keyClicks(edit.form.editors["api_token"], TOKEN)
    click(qtbot, edit.ok_button)
    qtbot.waitUntil(lambda: not edit.isVisible(), timeout=WAIT)
    click(qtbot, page.detail.check_button)
    qtbot.waitUntil(lambda: "connection works" in banner_text(window), timeout=WAIT)
    click(qtbot, page.detail.discover_button)
    qtbot.waitUntil(lambda: page.detail.streams.table.rowCount() >= 1, timeout=WAIT)


def test_a_file_dropped_on_the_page_starts_a_new_source(qtbot: QtBot, window: QtMainWindow, tmp_path: Path) -> None:
    page = window.shell.sources_page
    click(qtbot, window.shell.nav["sources"])
    qtbot.waitUntil(lambda: page.model.loaded and page.model.connectors != [], timeout=WAIT)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(write_csv(tmp_path / "school-census.tsv", 5)))])
    drop = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    page.dropEvent(drop)
    dialog = page.dialog
    assert isinstance(dialog, QtSourceDialog) and dialog.connector.currentData() == "csv"
    qtbot.waitUntil(lambda: dialog.upload is not None, timeout=WAIT)
    assert dialog.name.text() == "School census" and dialog.upload.filename == "school-census.tsv"  # type: ignore[union-attr]


def test_analysts_look_and_members_are_told_why_not(
    qtbot: QtBot,
    window: QtMainWindow,
    admin: DalgoClient,
    tmp_path: Path,
) -> None:
    synced_csv_source(admin, write_csv(tmp_path / "visits.csv", 10))
    invite_and_join(admin, "analyst@example.org", "analyst")
    invite_and_join(admin, "member@example.org", "member")
    page = window.shell.sources_page
    switch_user(qtbot, window, "analyst@example.org")
    click(qtbot, window.shell.nav["sources"])
    qtbot.waitUntil(lambda: page.list.rowCount() == 1 and page.detail.isVisible(), timeout=WAIT)
    assert not page.add_button.isEnabled() and "ask an admin" in page.add_button.toolTip()
    for button in (page.detail.sync_button, page.detail.edit_button, page.detail.delete_button):
        assert not button.isEnabled() and "not change or sync" in button.toolTip()
    assert not page.detail.streams.save_button.isEnabled()
    switch_user(qtbot, window, "member@example.org")
    click(qtbot, window.shell.nav["sources"])
    assert page.stack.currentWidget() is page.not_allowed
    assert "Your role (member) in Alpha Office cannot see sources" in page.not_allowed_text.text()
    click(qtbot, window.shell.nav["data"])
    data = window.shell.data_page
    assert data.stack.currentWidget() is data.not_allowed and "cannot browse the data" in data.not_allowed_text.text()


def test_cancel_a_running_sync_then_delete_the_source(
    qtbot: QtBot, window: QtMainWindow, admin: DalgoClient, kobo: tuple[KoboFake, str]
) -> None:
    fake, kobo_url = kobo
    source = admin.create_source("Kobo", "kobotoolbox", {"server_url": kobo_url, "api_token": TOKEN})
    admin.discover_source(source.id)
    page = window.shell.sources_page
    click(qtbot, window.shell.nav["sources"])
    qtbot.waitUntil(lambda: page.list.rowCount() == 1 and page.detail.isVisible(), timeout=WAIT)
    fake.fail_next(503, times=4, retry_after=1)  # the server keeps answering "busy": the sync waits and retries
    click(qtbot, page.detail.sync_button)
    progress = page.detail.progress
    qtbot.waitUntil(lambda: progress.cancel_button.isVisible() and progress.cancel_button.isEnabled(), timeout=WAIT)
    assert progress.title.text() == "Syncing Kobo…" and not page.detail.sync_button.isEnabled()
    assert cell(page.list, 0, 2) == "Running"
    click(qtbot, progress.cancel_button)
    qtbot.waitUntil(lambda: progress.title.text() == "Last sync: cancelled", timeout=WAIT)
    assert "cancelled; the previous data is intact" in banner_text(window)
    assert not progress.cancel_button.isVisible() and page.detail.sync_button.isEnabled()
    assert admin.list_tables("raw_kobo").total == 0  # nothing half-loaded

    click(qtbot, page.detail.delete_button)
    confirm = page.dialog
    assert confirm is not None and confirm.windowTitle() == "Delete Kobo?"
    assert any("stay in your data" in text.text() for text in confirm.findChildren(QLabel))
    click(qtbot, confirm.ok_button)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty, timeout=WAIT)
    assert admin.list_sources().total == 0 and banner_text(window).startswith("Deleted Kobo.")
