"""Every page and every dialog at 1024x600 and 1366x768, on realistic data: nothing off the window, no
button or label cut, dialog buttons on screen. Pages come from the sections list, dialogs from
screen_dialogs.DIALOGS, so a page or dialog added later is swept too.

Set FIT_SHOTS=<folder> to also save what the sweep saw as PNG files."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.client.pipelines_models import TaskSpec
from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.sections import SECTIONS
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.ui.qt_app import create_application
from desktop.ui.qt_main import QtMainWindow
from desktop.ui.qt_runner import QtRunner
from tests.desktop.conftest import ADMIN, PASSWORD, invite_and_join
from tests.desktop.screen_dialogs import BASES, DIALOGS, Scene, dialog_classes
from tests.desktop.screen_fit import dialog_problems, fit_problems
from tests.desktop.sources_helpers import synced_csv_source

pytestmark = [pytest.mark.qt, pytest.mark.e2e]
WAIT = 60_000
SIZES = [(1024, 600), (1366, 768)]
SURVEY = (
    "household_identifier_from_the_enumerator_tablet,respondent_full_name_as_written_on_the_consent_form,"
    "village_or_settlement_name,monthly_household_income_in_local_currency,date_of_interview\n"
    + "".join(
        f"HH-{i:05d},{name},{village},{1000 + 37 * i},2024-0{1 + i % 9}-1{i % 10}\n"
        for i, (name, village) in enumerate(
            [
                ("राजेश्वरी कुमारी शर्मा", "लक्ष्मीपुर"),
                ("Wanjiru Nyambura Kamau-Otieno", "Kibera Laini Saba"),
                ("Mwanaisha Abdallah Salim", "Mathare North Area 3"),
                ("सीतापुर देवी प्रसाद", "Seetapur"),
                ("Baraka Ochieng Odhiambo", "Rampur Khurd"),
            ]
            * 8
        )
    )
)


def save_shot(widget: QWidget, name: str) -> None:
    if folder := os.environ.get("FIT_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


class Sweep:
    """Collects what does not fit, screen by screen."""

    def __init__(self, qtbot: QtBot, window: QtMainWindow, size: tuple[int, int]) -> None:
        self.qtbot, self.window, self.size = qtbot, window, size
        self.area = QRect(0, 0, *size)
        self.problems: list[str] = []

    def settle(self) -> None:
        for _ in range(3):
            QApplication.processEvents()
        self.qtbot.wait(30)

    def page(self, name: str) -> None:
        self.settle()
        tag = f"{name}-{self.size[0]}x{self.size[1]}"
        save_shot(self.window, tag)
        self.problems += [f"[{tag}] {p}" for p in fit_problems(self.window)]

    def dialog(self, dialog: QDialog, name: str) -> None:
        dialog.show()
        self.settle()
        tag = f"{name}-{self.size[0]}x{self.size[1]}"
        save_shot(dialog, tag)
        self.problems += [f"[{tag}] {p}" for p in dialog_problems(dialog, self.area)]
        dialog.reject()
        dialog.deleteLater()


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def screen(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """A screen whose free area is this size: what the window and every dialog fit themselves to."""
    width, height = request.param
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _self: QRect(0, 0, width, height))
    return width, height


@pytest.fixture
def themed() -> Iterator[None]:
    """The app's real theme (Fusion, 10 pt, style sheet) as `dalgo` runs it; the plain one back afterwards."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font, style = app.styleSheet(), app.font(), app.style().name()
    create_application()
    yield
    app.setStyleSheet(sheet)
    app.setFont(font)
    app.setStyle(style)


@pytest.fixture
def window(qtbot: QtBot, url: str, dalgo_home: Path, screen: tuple[int, int], themed: None) -> Iterator[QtMainWindow]:
    runner = QtRunner()
    state = AppState(
        runner, FileCredentialStore(dalgo_home / "credentials.json"), Preferences(dalgo_home / "desktop.json")
    )
    win = QtMainWindow(state)
    qtbot.addWidget(win)
    win.show()
    state.local_ready(ServerTarget.local(url, dalgo_home))
    yield win
    runner.wait()


def test_every_page_and_dialog_fits_the_screen(
    qtbot: QtBot, window: QtMainWindow, screen: tuple[int, int], url: str, tmp_path: Path
) -> None:
    state = window.state
    assert window.width() <= screen[0] and window.height() <= screen[1], "the window opens inside the screen"
    window.resize(*screen)
    sweep = Sweep(qtbot, window, screen)
    qtbot.waitUntil(lambda: state.screen == Screen.onboarding, timeout=WAIT)
    sweep.page("onboarding")
    window.onboarding.email.setText(ADMIN)
    window.onboarding.password.setText(PASSWORD)
    window.onboarding.confirm.setText(PASSWORD)
    window.onboarding.next()
    window.onboarding.org_name.setText("Sunrise Health Kisumu and Lakeside Schools Trust")
    sweep.page("onboarding-organisation")
    window.onboarding.finish()
    qtbot.waitUntil(lambda: state.screen == Screen.main, timeout=WAIT)
    scene = _seed(qtbot, window, url, tmp_path)
    _sweep_pages(sweep, qtbot, window)
    for name, factory in DIALOGS.items():
        for i, dialog in enumerate(factory(scene)):
            sweep.dialog(dialog, f"{name}-{i}")
    state.logout()
    qtbot.waitUntil(lambda: state.screen == Screen.login, timeout=WAIT)
    sweep.page("login")
    assert not sweep.problems, "\n".join(sweep.problems)


def _seed(qtbot: QtBot, window: QtMainWindow, url: str, tmp_path: Path) -> Scene:
    """A synced survey CSV with long names, a recipe on it, a second member."""
    state = window.state
    admin = DalgoClient(url)
    admin.login(ADMIN, PASSWORD)
    admin.use_org(state.org.org.slug)  # type: ignore[union-attr]
    member = invite_and_join(admin, "wanjiru.nyambura.kamau@example.org", "analyst")
    member.close()
    path = tmp_path / "household_survey_2024_kisumu_and_nairobi_field_offices.csv"
    path.write_text(SURVEY, encoding="utf-8")
    source = synced_csv_source(admin, path, "Household survey 2024 — Kisumu and Nairobi field offices")
    _seed_pipeline(admin, source.id)
    shell = window.shell
    shell.go("users")
    qtbot.waitUntil(lambda: len(shell.users.members) == 2 and not shell.users.loading, timeout=WAIT)
    page = shell.transform_page
    page.model.poll_interval = 0.1
    shell.go("transform")
    qtbot.waitUntil(lambda: bool(page.model.tables and page.model.operations), timeout=WAIT)
    page.model.new_recipe("Clean household survey 2024 for the Kisumu office", f"{source.schema_name}.{path.stem}")
    qtbot.waitUntil(lambda: page.recipe.preview is not None, timeout=WAIT)
    page.recipe.add_step("trim", {"columns": ["village_or_settlement_name"]})
    qtbot.waitUntil(lambda: len(page.recipe.steps) == 1 and page.recipe.preview is not None, timeout=WAIT)
    shell.go("sources")
    qtbot.waitUntil(lambda: shell.sources.selected is not None and shell.sources.selected.catalog, timeout=WAIT)
    member_row = next(m for m in shell.users.members if m.email.startswith("wanjiru"))
    return Scene(window, member_row, "village_or_settlement_name")


def _seed_pipeline(admin: DalgoClient, source_id: str) -> None:
    """A weekly pipeline with a long name that has run once, so the list shows bars and the history a run."""
    schedule = {"kind": "weekly", "time": "09:00", "days": ["mon", "thu"], "timezone": "Africa/Nairobi"}
    tasks = [TaskSpec(kind="sync", source_id=source_id, retries=2)]
    pipeline = admin.create_pipeline("Monthly household survey — Kisumu and Nairobi field offices", tasks, schedule)
    run_id = admin.run_pipeline(pipeline.id).run_id
    deadline = time.monotonic() + 60
    while admin.get_run(run_id).active and time.monotonic() < deadline:
        time.sleep(0.1)


def _sweep_pages(sweep: Sweep, qtbot: QtBot, window: QtMainWindow) -> None:
    """Every section, and the states of a page that change its layout (tabs, an open table, a run)."""
    shell = window.shell
    for section in SECTIONS:
        shell.go(section.key)
        sweep.page(section.key)
    shell.go("pipelines")
    pipelines = shell.pipelines_page
    qtbot.waitUntil(
        lambda: pipelines.model.run_view.run is not None and bool(pipelines.model.run_view.logs), timeout=WAIT
    )
    sweep.page("pipelines-run")
    pipelines.detail.tabs.setCurrentWidget(pipelines.detail.history)
    qtbot.waitUntil(lambda: pipelines.detail.history.table.rowCount() == 1, timeout=WAIT)
    sweep.page("pipelines-history")
    pipelines.detail.tabs.setCurrentWidget(pipelines.detail.run_panel)
    shell.go("sources")
    detail = shell.sources_page.detail
    detail.tabs.setCurrentWidget(detail.history)
    qtbot.waitUntil(lambda: bool(detail.history.jobs), timeout=WAIT)
    sweep.page("sources-history")
    detail.tabs.setCurrentWidget(detail.streams)
    shell.go("data")
    data = shell.data_page
    qtbot.waitUntil(lambda: data.model.loaded and bool(data.model.tables), timeout=WAIT)
    schema, table = data.model.tables[0].schema_name, data.model.tables[0].name
    data.open_table(schema, table)
    qtbot.waitUntil(lambda: data.view.model().rowCount() > 0 and not data.grid.loading, timeout=WAIT)
    sweep.page("data-table")
    shell.go("transform")
    page = shell.transform_page
    page.save_and_run()
    qtbot.waitUntil(lambda: page.model.job is not None and not page.model.job.active, timeout=120_000)
    sweep.page("transform-run")
    page.tabs.setCurrentWidget(page.lineage)
    qtbot.waitUntil(lambda: bool(page.model.lineage_png), timeout=WAIT)
    sweep.page("transform-lineage")
    page.tabs.setCurrentWidget(page.editors)


@pytest.mark.parametrize("screen", [(1024, 600)], indirect=True)
def test_transform_with_an_open_facet_fits(
    qtbot: QtBot, window: QtMainWindow, screen: tuple[int, int], url: str, tmp_path: Path
) -> None:
    state = window.state
    window.resize(*screen)
    qtbot.waitUntil(lambda: state.screen == Screen.onboarding, timeout=WAIT)
    state.setup(ADMIN, PASSWORD, PASSWORD, "Sunrise Health Kisumu", False)
    qtbot.waitUntil(lambda: state.screen == Screen.main, timeout=WAIT)
    _seed(qtbot, window, url, tmp_path)
    page = window.shell.transform_page
    window.shell.go("transform")
    page.recipe.load_facet("village_or_settlement_name")  # the facet panel takes room beside the preview
    qtbot.waitUntil(lambda: page.recipe.facet is not None, timeout=WAIT)
    sweep = Sweep(qtbot, window, screen)
    sweep.page("transform-facet")
    assert not sweep.problems, "\n".join(sweep.problems)


def test_the_sweep_covers_every_dialog() -> None:
    """A dialog class added to desktop/ui without a factory in screen_dialogs.DIALOGS fails here."""
    missing = dialog_classes() - BASES - set(DIALOGS)
    assert missing == set(), f"add these dialogs to tests/desktop/screen_dialogs.py DIALOGS: {sorted(missing)}"
    assert set(DIALOGS) <= dialog_classes(), "the registry names a dialog that no longer exists"
