"""Home as each role sees it, drawn with real widgets: next steps the role can take, nothing stale left behind."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from desktop.client.models import Me, Membership, Org
from desktop.state.credentials import FileCredentialStore
from desktop.state.runner import InlineRunner
from desktop.state.session import AppState
from desktop.ui.qt_home import QtHomePage
from server.core.permissions import ROLE_PERMISSIONS, Role


def _sign_in_as(app: AppState, role: str) -> None:
    permissions = frozenset(p.value for p in ROLE_PERMISSIONS[Role(role)])
    app.org = Membership(org=Org(id="o", name="Sunrise", slug="sunrise"), role=role, permissions=permissions)
    app.me = Me(id="u", email="amina@example.org", memberships=[app.org])
    app.session_changed.emit()


def test_home_shows_only_the_steps_of_the_current_role(qtbot: QtBot, tmp_path: Path) -> None:
    app = AppState(InlineRunner(), FileCredentialStore(tmp_path / "credentials.json"))
    opened: list[str] = []
    page = QtHomePage(app, opened.append)
    qtbot.addWidget(page)
    page.resize(1024, 600)
    page.show()
    _sign_in_as(app, "admin")
    assert page.step_buttons[0].text() == "Add a source"
    _sign_in_as(app, "analyst")
    QApplication.processEvents()  # Qt shows widgets added to a visible page on the next turn of the loop
    shown = [b.text() for b in page.findChildren(QPushButton) if b.isVisible()]
    assert shown == ["Look at your data", "Try a cleaning recipe"]  # the admin's steps are gone from the screen
    assert "Invite" not in page.role_help.text() and "Analyst" in page.role_help.text()
    page.step_buttons[0].click()
    assert opened == ["data"]
    _sign_in_as(app, "member")
    assert [b.text() for b in page.step_buttons] == ["Ask for more access"]
    assert "Pipelines" in page.now_text.text()  # what a member can open today
