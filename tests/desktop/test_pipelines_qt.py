"""The Pipelines page with real widgets against the real server: create through the editor, the run bars' colours,
the run view with its log tail, and the notification bell."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.client.pipelines_models import Run, TaskSpec
from desktop.ui.qt_dialogs import QtSaveFirstDialog
from desktop.ui.qt_main import QtMainWindow
from desktop.ui.qt_notifications import QtNotificationsDialog
from desktop.ui.qt_pipeline_editor import QtPipelineDialog
from desktop.ui.qt_pipeline_runs import BAR_COLOURS, QtRunBars
from tests.desktop.sources_helpers import WAIT, click, synced_csv_source, write_csv

pytest_plugins = ["tests.desktop.sources_fixtures"]  # the window fixture
pytestmark = [pytest.mark.qt, pytest.mark.e2e]
RUN_WAIT = 120_000


def test_bars_are_green_red_and_yellow_when_only_the_checks_failed(qtbot: QtBot) -> None:
    now = datetime.now(UTC)
    statuses = ["warned", "failed", "succeeded", "cancelled"]  # newest first, as the server lists them
    runs = [Run(id=s, pipeline_id="p", status=s, created_at=now) for s in statuses]
    bars = QtRunBars(runs)
    qtbot.addWidget(bars)
    assert bars.colours() == ["#94a3b8", "#16a34a", "#dc2626", "#eab308"]  # oldest left, the newest yellow
    assert BAR_COLOURS["warn"] == "#eab308" and "Checks failed" in bars.toolTip()
    image = bars.grab().toImage()
    newest = image.pixelColor(1 + 3 * 9 + 3, bars.height() // 2)
    assert newest.name() == "#eab308", "the yellow bar is painted, not only listed"


def test_an_admin_creates_a_pipeline_in_the_editor_and_runs_it_live(
    qtbot: QtBot, window: QtMainWindow, admin: DalgoClient, tmp_path: Path
) -> None:
    source = synced_csv_source(admin, write_csv(tmp_path / "clinic_visits.csv", 25))
    shell = window.shell
    shell.go("pipelines")
    page = shell.pipelines_page
    qtbot.waitUntil(lambda: page.model.loaded and bool(page.model.sources), timeout=WAIT)
    assert page.stack.currentWidget() is page.empty
    click(qtbot, page.empty_button)
    editor = page.dialog
    assert isinstance(editor, QtPipelineDialog) and editor.isVisible()
    qtbot.keyClicks(editor.name, "Clinic visits weekly")
    assert shell.nav["pipelines"].text().endswith("●") and "unsaved" in editor.title.text()
    first = editor.rows[0]
    first.source.setCurrentIndex(first.source.findData(source.id))
    first.retries.setValue(2)
    click(qtbot, editor.rows[1].remove)  # the cleaning step offered by default: not wanted here
    assert len(editor.rows) == 1 and editor.draft.tasks[0].retries == 2
    box = editor.schedule
    box.kind.setCurrentIndex(box.kind.findData("weekly"))
    box.days["thu"].setChecked(True)
    assert box.zone.isVisible() and box.zone.text() == editor.draft.schedule.timezone
    assert "Every Monday and Thursday at 09:00" in box.summary.text()

    click(qtbot, editor.cancel_button)  # closing with changes asks first
    ask = editor.prompt
    assert isinstance(ask, QtSaveFirstDialog) and ask.isVisible()
    click(qtbot, ask.ok_button)  # save and close
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=WAIT)
    saved = page.model.selected
    assert saved is not None and saved.name == "Clinic visits weekly" and saved.tasks[0].retries == 2
    assert shell.nav["pipelines"].text().strip() == "Pipelines"
    assert page.list.rowCount() == 1 and page.list.item(0, 4).text() != "—"  # the next run, in local time

    qtbot.waitUntil(lambda: page.model.busy is None and not page.model.history.loading, timeout=WAIT)
    click(qtbot, page.detail.run_button)
    panel = page.detail.run_panel
    qtbot.waitUntil(lambda: panel.tasks.rowCount() == 1, timeout=RUN_WAIT)
    qtbot.waitUntil(lambda: page.model.run_view.run is not None and not page.model.run_view.following, timeout=RUN_WAIT)
    assert page.model.run_view.run.status == "succeeded"  # type: ignore[union-attr]
    chip = panel.tasks.cellWidget(0, 2).chip  # type: ignore[union-attr]
    assert chip.text() == "Succeeded"
    qtbot.waitUntil(lambda: "25 rows" in panel.log.toPlainText(), timeout=WAIT)  # the log tail, on screen
    assert panel.tasks.item(0, 3).text().startswith("25 rows")
    qtbot.waitUntil(
        lambda: page.bars(saved.id) is not None and page.bars(saved.id).colours() == ["#16a34a"], timeout=WAIT
    )  # type: ignore[union-attr]
    page.detail.tabs.setCurrentWidget(page.detail.history)
    qtbot.waitUntil(lambda: page.detail.history.table.rowCount() == 1, timeout=WAIT)


def test_the_bell_counts_a_failure_and_the_centre_marks_it_read(
    qtbot: QtBot, window: QtMainWindow, admin: DalgoClient, tmp_path: Path
) -> None:
    admin.create_sql_model("broken_visits", "select no_such_column from nowhere_at_all")
    pipeline = admin.create_pipeline("Cleaning", [TaskSpec(kind="transform")])
    run_id = admin.run_pipeline(pipeline.id).run_id
    bell = window.shell.bell
    qtbot.waitUntil(lambda: not admin.get_run(run_id).active, timeout=RUN_WAIT)
    window.shell.notifications.refresh()
    qtbot.waitUntil(lambda: bell.badge == "1", timeout=WAIT)
    assert "1 unread" in bell.toolTip()
    click(qtbot, bell)
    centre = bell.dialog
    assert isinstance(centre, QtNotificationsDialog) and centre.isVisible()
    qtbot.waitUntil(lambda: centre.list.count() == 1, timeout=WAIT)
    assert "Cleaning failed" in centre.list.item(0).text() and centre.list.item(0).font().bold()
    centre.list.setCurrentRow(0)
    click(qtbot, centre.open_button)  # marks it read and opens the run on the Pipelines page
    qtbot.waitUntil(lambda: bell.badge == "", timeout=WAIT)
    page = window.shell.pipelines_page
    assert window.shell.current == "pipelines"
    qtbot.waitUntil(lambda: page.model.run_view.run is not None, timeout=WAIT)
    assert page.model.run_view.run.id == run_id  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "broken_visits" in page.detail.run_panel.failure.toPlainText(), timeout=WAIT)
