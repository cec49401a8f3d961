"""Fixtures of the Sources and Data tests (loaded with `pytest_plugins`): a Kobo fake and a signed-in window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.ui.qt_main import QtMainWindow
from desktop.ui.qt_runner import QtRunner
from tests.desktop.conftest import ADMIN, PASSWORD
from tests.desktop.sources_helpers import WAIT
from tests.fakes.kobo import KoboFake
from tests.fakes.server import serve_app


@pytest.fixture
def kobo() -> Iterator[tuple[KoboFake, str]]:
    """A KoboToolbox fake with 40 household submissions, paged 20 at a time."""
    fake = KoboFake(40, page_cap=20)
    with serve_app(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def window(qtbot: QtBot, admin: DalgoClient, url: str, dalgo_home: Path) -> Iterator[QtMainWindow]:
    """The main window on a real thread pool, signed in as the admin (the sign-in screens are tested elsewhere)."""
    runner = QtRunner()
    state = AppState(
        runner, FileCredentialStore(dalgo_home / "credentials.json"), Preferences(dalgo_home / "desktop.json")
    )
    win = QtMainWindow(state)
    qtbot.addWidget(win)
    win.resize(1280, 820)
    win.show()
    state.local_ready(ServerTarget.local(url, dalgo_home))
    qtbot.waitUntil(lambda: state.screen == Screen.login, timeout=WAIT)
    state.login(ADMIN, PASSWORD)
    qtbot.waitUntil(lambda: state.screen == Screen.main, timeout=WAIT)
    yield win
    runner.wait()
