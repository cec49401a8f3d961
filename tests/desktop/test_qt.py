"""The Qt app driven like a user would (offscreen), against the real server in a uvicorn thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.sections import SECTIONS
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.ui.qt_account import (
    QtAcceptInvitationDialog,
    QtChangePasswordDialog,
    QtCreateOrgDialog,
    QtForgotPasswordDialog,
)
from desktop.ui.qt_dialogs import QtCodeDialog
from desktop.ui.qt_later import QtComingLaterPage
from desktop.ui.qt_main import QtMainWindow
from desktop.ui.qt_runner import QtRunner
from desktop.ui.qt_users import QtInviteDialog
from tests.desktop.conftest import ADMIN, PASSWORD, invite_and_join

pytestmark = [pytest.mark.qt, pytest.mark.e2e]
WAIT = 15_000


@pytest.fixture
def window(qtbot: QtBot, url: str, dalgo_home: Path) -> Iterator[QtMainWindow]:
    """The main window on a fresh AppState with a real thread pool, connected to the local server."""
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


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None, (row, column)
    return item.text()


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def sign_in(qtbot: QtBot, win: QtMainWindow, email: str, password: str = PASSWORD) -> None:
    qtbot.waitUntil(lambda: win.state.screen == Screen.login, timeout=WAIT)
    win.login.email.clear()
    qtbot.keyClicks(win.login.email, email)
    qtbot.keyClicks(win.login.password, password)
    click(qtbot, win.login.sign_in)


def test_onboarding_creates_the_admin_and_the_first_org(qtbot: QtBot, window: QtMainWindow) -> None:
    qtbot.waitUntil(lambda: window.screens.currentWidget() is window.onboarding, timeout=WAIT)
    page = window.onboarding
    qtbot.keyClicks(page.email, ADMIN)
    qtbot.keyClicks(page.password, PASSWORD)
    qtbot.keyClicks(page.confirm, PASSWORD)
    click(qtbot, page.next_button)
    qtbot.keyClicks(page.org_name, "Sunrise Health")
    click(qtbot, page.finish_button)
    qtbot.waitUntil(lambda: window.screens.currentWidget() is window.shell, timeout=WAIT)
    topbar = window.shell.topbar
    assert topbar.orgs.currentText() == "Sunrise Health"
    assert topbar.role.text() == "Super admin" and topbar.user.text() == ADMIN
    assert window.shell.home_page.org_name.text() == "Sunrise Health"
    assert topbar.server.text() == "Local"


def test_onboarding_shows_a_password_mismatch_in_the_banner(qtbot: QtBot, window: QtMainWindow) -> None:
    qtbot.waitUntil(lambda: window.screens.currentWidget() is window.onboarding, timeout=WAIT)
    qtbot.keyClicks(window.onboarding.email, ADMIN)
    qtbot.keyClicks(window.onboarding.password, PASSWORD)
    qtbot.keyClicks(window.onboarding.confirm, "something else")
    click(qtbot, window.onboarding.next_button)
    assert window.banner.isVisible() and "do not match" in window.banner.text.text()
    assert window.onboarding.pages.currentIndex() == 0


def test_wrong_password_shows_the_servers_message_in_the_banner(
    qtbot: QtBot, admin: DalgoClient, window: QtMainWindow
) -> None:
    sign_in(qtbot, window, ADMIN, "not-my-password")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT)
    assert window.banner.text.text() == "The email or password is not right."
    assert window.banner.property("level") == "error"
    assert window.state.screen == Screen.login and window.login.sign_in.isEnabled()
    window.login.password.clear()
    qtbot.keyClicks(window.login.password, PASSWORD)
    click(qtbot, window.login.sign_in)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    assert not window.banner.isVisible()


def test_switching_org_in_the_top_bar_changes_the_users_list(
    qtbot: QtBot, admin: DalgoClient, window: QtMainWindow
) -> None:
    beta = admin.create_org("Beta Office")
    invite_and_join(admin, "beta.one@example.org", "analyst", org=beta.slug)
    invite_and_join(admin, "beta.two@example.org", "member", org=beta.slug)
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    shell = window.shell
    click(qtbot, shell.nav["users"])
    table = shell.users_page.members
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=WAIT)
    tokens = window.state.client.tokens  # type: ignore[union-attr]
    combo = shell.topbar.orgs
    index = combo.findText("Beta Office")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    qtbot.waitUntil(lambda: table.rowCount() == 3, timeout=WAIT)
    emails = {cell(table, r, 0) for r in range(3)}
    assert emails == {f"{ADMIN}  (you)", "beta.one@example.org", "beta.two@example.org"}
    assert "Beta Office" in shell.users_page.intro.text()
    assert window.state.client.tokens is tokens  # type: ignore[union-attr]  # no new sign-in
    combo.activated.emit(combo.findText("Alpha Office"))
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=WAIT)


def test_invite_code_is_shown_then_accepted_by_a_second_user(
    qtbot: QtBot, admin: DalgoClient, window: QtMainWindow
) -> None:
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    page = window.shell.users_page
    click(qtbot, window.shell.nav["users"])
    qtbot.waitUntil(lambda: page.members.rowCount() == 1, timeout=WAIT)
    click(qtbot, page.invite_button)
    dialog = page.dialog
    assert isinstance(dialog, QtInviteDialog)
    qtbot.keyClicks(dialog.email, "field.officer@example.org")
    dialog.role.setCurrentIndex(dialog.role.findData("analyst"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: isinstance(page.dialog, QtCodeDialog) and page.dialog.isVisible(), timeout=WAIT)
    code_dialog = page.dialog
    assert isinstance(code_dialog, QtCodeDialog)
    code = code_dialog.code_label.text()
    assert code == admin.list_invitations().items[0].code
    click(qtbot, code_dialog.copy_code)
    assert QGuiApplication.clipboard().text() == code
    code_dialog.accept()
    qtbot.waitUntil(lambda: page.invitations.rowCount() == 1, timeout=WAIT)
    assert cell(page.invitations, 0, 2) == code

    window.shell.topbar.log_out.trigger()
    qtbot.waitUntil(lambda: window.state.screen == Screen.login, timeout=WAIT)
    click(qtbot, window.login.invite)
    accept = window.login.dialog
    assert isinstance(accept, QtAcceptInvitationDialog)
    qtbot.keyClicks(accept.code, code)
    qtbot.keyClicks(accept.password, "field-officer-phrase-8")
    qtbot.keyClicks(accept.confirm, "field-officer-phrase-8")
    click(qtbot, accept.ok_button)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    assert not accept.isVisible()
    topbar = window.shell.topbar
    assert topbar.user.text() == "field.officer@example.org"
    assert topbar.orgs.currentText() == "Alpha Office" and topbar.role.text() == "Analyst"
    assert "Welcome to Alpha Office" in window.banner.text.text()
    click(qtbot, window.shell.nav["users"])
    qtbot.waitUntil(lambda: page.members.rowCount() == 2, timeout=WAIT)
    assert not page.invite_button.isVisible()  # analysts see members but do not manage them


def test_admin_reset_code_lets_a_member_set_a_new_password(
    qtbot: QtBot, admin: DalgoClient, window: QtMainWindow
) -> None:
    invite_and_join(admin, "forgetful@example.org", "member")
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    page = window.shell.users_page
    click(qtbot, window.shell.nav["users"])
    qtbot.waitUntil(lambda: page.members.rowCount() == 2, timeout=WAIT)
    row = next(r for r in range(2) if cell(page.members, r, 0) == "forgetful@example.org")
    page.members.selectRow(row)
    click(qtbot, page.reset_button)
    qtbot.waitUntil(lambda: isinstance(page.dialog, QtCodeDialog), timeout=WAIT)
    token = page.dialog.code  # type: ignore[union-attr]
    page.dialog.accept()  # type: ignore[union-attr]
    window.shell.topbar.log_out.trigger()
    qtbot.waitUntil(lambda: window.state.screen == Screen.login, timeout=WAIT)
    click(qtbot, window.login.forgot)
    forgot = window.login.dialog
    assert isinstance(forgot, QtForgotPasswordDialog)
    qtbot.keyClicks(forgot.code, token)
    qtbot.keyClicks(forgot.password, "brand-new-phrase-5")
    qtbot.keyClicks(forgot.confirm, "brand-new-phrase-5")
    click(qtbot, forgot.ok_button)
    qtbot.waitUntil(lambda: not forgot.isVisible(), timeout=WAIT)
    assert "Sign in with the new one" in window.banner.text.text()
    sign_in(qtbot, window, "forgetful@example.org", "brand-new-phrase-5")
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    assert window.shell.topbar.role.text() == "Member"


def test_sections_not_built_yet_say_so(qtbot: QtBot, admin: DalgoClient, window: QtMainWindow) -> None:
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    for key in [section.key for section in SECTIONS if not section.built]:
        click(qtbot, window.shell.nav[key])
        page = window.shell.pages.currentWidget()
        assert isinstance(page, QtComingLaterPage) and page.section.key == key
        assert window.shell.topbar.title.text() == page.section.title


def test_connecting_to_a_hosted_server_by_url(qtbot: QtBot, admin: DalgoClient, window: QtMainWindow) -> None:
    qtbot.waitUntil(lambda: window.state.screen == Screen.login, timeout=WAIT)
    switch = window.login.server_switch
    assert switch.toggle.text() == "Connect to a hosted server…" and not switch.url_row.isVisible()
    click(qtbot, switch.toggle)
    switch.url.setText(admin.base_url)
    click(qtbot, switch.connect_button)
    qtbot.waitUntil(lambda: window.state.target is not None and not window.state.target.embedded, timeout=WAIT)
    qtbot.waitUntil(lambda: window.state.screen == Screen.login and not window.state.busy, timeout=WAIT)
    assert window.login.subtitle.text() == f"to the Dalgo server at {admin.base_url}"
    assert switch.toggle.text() == "Use this computer's server instead"
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    assert window.shell.topbar.server.text() == admin.base_url.removeprefix("http://")


def test_change_password_from_the_user_menu(qtbot: QtBot, admin: DalgoClient, window: QtMainWindow) -> None:
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    window.shell.topbar.change_password.trigger()
    dialog = window.shell.topbar.dialog
    assert isinstance(dialog, QtChangePasswordDialog)
    qtbot.keyClicks(dialog.current, PASSWORD)
    qtbot.keyClicks(dialog.new, "short")
    qtbot.keyClicks(dialog.confirm, "short")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: window.banner.property("level") == "error", timeout=WAIT)
    assert "at least 10 characters" in window.banner.text.text() and dialog.isVisible()
    for edit in (dialog.new, dialog.confirm):
        edit.clear()
        qtbot.keyClicks(edit, "harbour-lantern-31")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert window.banner.text.text().startswith("Password changed")
    DalgoClient(admin.base_url).login(ADMIN, "harbour-lantern-31")


def test_a_weak_password_sends_onboarding_back_to_the_account_step(qtbot: QtBot, window: QtMainWindow) -> None:
    qtbot.waitUntil(lambda: window.screens.currentWidget() is window.onboarding, timeout=WAIT)
    page = window.onboarding
    qtbot.keyClicks(page.email, ADMIN)
    qtbot.keyClicks(page.password, "password12")
    qtbot.keyClicks(page.confirm, "password12")
    click(qtbot, page.next_button)
    qtbot.keyClicks(page.org_name, "Sunrise Health")
    click(qtbot, page.finish_button)
    qtbot.waitUntil(lambda: page.pages.currentIndex() == 0, timeout=WAIT)
    assert "too weak" in window.banner.text.text() or "common" in window.banner.text.text()
    assert window.state.screen == Screen.onboarding and page.email.text() == ADMIN
    assert DalgoClient(window.state.target.url).setup_status().needs_setup  # type: ignore[union-attr]


def test_sorting_the_member_list_keeps_the_selected_person(
    qtbot: QtBot, admin: DalgoClient, window: QtMainWindow
) -> None:
    invite_and_join(admin, "zed@example.org", "member")
    invite_and_join(admin, "amy@example.org", "analyst")
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    page = window.shell.users_page
    click(qtbot, window.shell.nav["users"])
    qtbot.waitUntil(lambda: page.members.rowCount() == 3, timeout=WAIT)
    assert [cell(page.members, r, 0) for r in range(3)] == [
        "amy@example.org",
        f"{ADMIN}  (you)",
        "zed@example.org",
    ]
    page.members.selectRow(2)
    assert page.remove_button.isEnabled()
    page.members.horizontalHeader().sectionClicked.emit(0)  # click on "Email": now Z→A
    assert cell(page.members, 0, 0) == "zed@example.org"
    assert page.selected_member() is not None and page.selected_member().email == "zed@example.org"  # type: ignore[union-attr]
    page.members.selectRow(1)  # yourself: no role change, no removal
    assert not page.remove_button.isEnabled() and not page.change_role_button.isEnabled()


def test_settings_creates_an_org_and_shows_the_audit_log(
    qtbot: QtBot, admin: DalgoClient, window: QtMainWindow
) -> None:
    sign_in(qtbot, window, ADMIN)
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    page = window.shell.settings_page
    click(qtbot, window.shell.nav["settings"])
    qtbot.waitUntil(lambda: page.audit_table.rowCount() > 0, timeout=WAIT)
    events = {cell(page.audit_table, r, 2) for r in range(page.audit_table.rowCount())}
    assert {"Created organisation", "Signed in"} <= events
    click(qtbot, page.create_org_button)
    dialog = page.dialog
    assert isinstance(dialog, QtCreateOrgDialog)
    qtbot.keyClicks(dialog.name, "Lakeside Schools")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: window.shell.topbar.orgs.currentText() == "Lakeside Schools", timeout=WAIT)
    assert window.shell.topbar.orgs.count() == 2
    assert "Lakeside Schools" in page.orgs.text() and "created" in window.banner.text.text()
    qtbot.waitUntil(lambda: "Lakeside Schools" in page.audit_note.text(), timeout=WAIT)


def test_a_member_sees_no_admin_tools(qtbot: QtBot, admin: DalgoClient, window: QtMainWindow) -> None:
    invite_and_join(admin, "viewer@example.org", "member")
    sign_in(qtbot, window, "viewer@example.org")
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    click(qtbot, window.shell.nav["users"])
    page = window.shell.users_page
    assert "cannot see the member list" in page.intro.text() and page.members.rowCount() == 0
    assert not page.invite_button.isVisible()
    click(qtbot, window.shell.nav["settings"])
    settings = window.shell.settings_page
    assert not settings.create_org_button.isVisible() and not settings.audit_card.isVisible()
    assert "Only a super-admin can create organisations" in settings.orgs.text()
    assert [b.text() for b in window.shell.home_page.step_buttons] == ["Ask for more access"]


def test_a_signed_in_user_joins_a_second_org_from_the_user_menu(
    qtbot: QtBot, admin: DalgoClient, window: QtMainWindow
) -> None:
    invite_and_join(admin, "field@example.org", "analyst")
    beta = admin.create_org("Beta Office")
    code = admin.create_invitation("field@example.org", "member", org=beta.slug).code
    sign_in(qtbot, window, "field@example.org")
    qtbot.waitUntil(lambda: window.state.screen == Screen.main, timeout=WAIT)
    first = window.state.client.tokens  # type: ignore[union-attr]
    assert first is not None
    topbar = window.shell.topbar
    topbar.join.trigger()
    dialog = topbar.dialog
    assert isinstance(dialog, QtAcceptInvitationDialog)
    qtbot.keyClicks(dialog.code, code)
    qtbot.keyClicks(dialog.password, PASSWORD)  # the existing account's password
    qtbot.keyClicks(dialog.confirm, PASSWORD)
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: topbar.orgs.currentText() == "Beta Office", timeout=WAIT)
    assert topbar.orgs.count() == 2 and topbar.role.text() == "Member"
    from desktop.client.errors import SessionExpired

    with pytest.raises(SessionExpired):  # the sign-in the join replaced was ended on the server
        DalgoClient(admin.base_url).resume(first.refresh_token)
