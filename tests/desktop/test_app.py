"""The composition root: `run()` starts the embedded server, opens the window, and cleans up on exit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop import app as desktop_app
from desktop.client import DalgoClient
from desktop.client.errors import ServerUnreachable
from desktop.state import credentials
from desktop.state.credentials import FileCredentialStore, Remembered
from desktop.state.session import Screen
from tests.desktop.conftest import ADMIN, PASSWORD

DESKTOP = Path(desktop_app.__file__).resolve().parent


def _run_until_ready(home: Path) -> tuple[Screen, str, str]:
    seen: list[tuple[Screen, str, str]] = []

    def ready(window: object, screen: Screen) -> None:
        state = window.state  # type: ignore[attr-defined]
        seen.append((screen, state.target.url, window.shell.topbar.user.text()))  # type: ignore[attr-defined]
        # exit() ends the loop at once; quit() with a window open would leave a Quit event behind that
        # stops every later event loop of this shared QApplication (and so every later qtbot.waitUntil).
        QApplication.exit(0)

    assert desktop_app.run(home=home, on_ready=ready) == 0
    assert len(seen) == 1
    return seen[0]


@pytest.mark.qt
@pytest.mark.e2e
def test_first_launch_opens_onboarding_and_exit_stops_the_server(
    qtbot: QtBot, dalgo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(credentials, "usable_keyring", lambda: None)
    screen, url, _user = _run_until_ready(dalgo_home)
    assert screen == Screen.onboarding and url.startswith("http://127.0.0.1:")
    with pytest.raises(ServerUnreachable):
        DalgoClient(url, timeout=2).health()
    assert (dalgo_home / "logs" / "desktop.log").exists()


@pytest.mark.qt
@pytest.mark.e2e
def test_a_remembered_sign_in_opens_the_main_window_directly(
    qtbot: QtBot, dalgo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(credentials, "usable_keyring", lambda: None)
    server = desktop_app.EmbeddedServer(desktop_app.embedded_settings(dalgo_home))
    client = DalgoClient(server.start())
    try:
        tokens = client.setup(ADMIN, PASSWORD, "Alpha Office")
    finally:
        server.stop()
    FileCredentialStore(dalgo_home / "credentials.json").save(
        f"local:{dalgo_home}", Remembered(ADMIN, tokens.refresh_token)
    )
    screen, _url, user = _run_until_ready(dalgo_home)
    assert screen == Screen.main and user == ADMIN


def test_embedded_server_refuses_connections_after_stop(dalgo_home: Path) -> None:
    server = desktop_app.EmbeddedServer(desktop_app.embedded_settings(dalgo_home))
    url = server.start()
    assert DalgoClient(url).health().mode == "embedded"
    server.stop()
    with pytest.raises(ServerUnreachable):
        DalgoClient(url, timeout=2).health()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_composition_root_imports_the_server() -> None:
    """The desktop reaches the server over HTTP only; app.py starts it and the CLI runs it hosted."""
    offenders = []
    for path in DESKTOP.rglob("*.py"):
        if path.name in ("app.py", "cli.py") and path.parent == DESKTOP:
            continue
        if any(name == "server" or name.startswith("server.") for name in _imports(path)):
            offenders.append(str(path.relative_to(DESKTOP)))
    assert offenders == []


def test_state_and_client_never_import_qt() -> None:
    offenders = [
        str(path.relative_to(DESKTOP))
        for folder in ("state", "client")
        for path in (DESKTOP / folder).rglob("*.py")
        if any(name.startswith("PySide6") for name in _imports(path))
    ]
    assert offenders == []
