"""Qt-free view models driven headless (work runs inline) against the real server."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.client import DalgoClient
from desktop.state.account import AccountModel
from desktop.state.audit import AuditModel
from desktop.state.banner import Level
from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.state.users import UsersModel
from tests.desktop.conftest import ADMIN, PASSWORD

pytestmark = pytest.mark.e2e


def _local(state: AppState, url: str, home: Path) -> AppState:
    state.local_ready(ServerTarget.local(url, home))
    return state


def _fresh_state(home: Path) -> AppState:
    from desktop.state.runner import InlineRunner

    return AppState(InlineRunner(), FileCredentialStore(home / "credentials.json"), Preferences(home / "desktop.json"))


def _set_up(state: AppState, url: str, home: Path, remember: bool = True) -> AppState:
    _local(state, url, home)
    state.setup(ADMIN, PASSWORD, PASSWORD, "Alpha Office", remember)
    assert state.screen == Screen.main, state.banner.notice
    return state


def test_first_run_shows_onboarding_and_setup_opens_the_main_screen(
    headless: AppState, url: str, dalgo_home: Path
) -> None:
    screens: list[Screen] = []
    headless.screen_changed.connect(screens.append)
    _local(headless, url, dalgo_home)
    assert headless.screen == Screen.onboarding
    headless.setup(ADMIN, PASSWORD, PASSWORD, "Alpha Office")
    assert screens == [Screen.onboarding, Screen.main]
    assert headless.me is not None and headless.me.email == ADMIN
    assert headless.org is not None and headless.org.org.name == "Alpha Office"
    assert headless.can("orgs:create") and headless.can("users:manage")


def test_onboarding_mistakes_are_explained_before_calling_the_server(
    headless: AppState, url: str, dalgo_home: Path
) -> None:
    _local(headless, url, dalgo_home)
    calls = headless.runner.calls  # type: ignore[attr-defined]
    assert headless.check_new_account(ADMIN, PASSWORD, "typo") is False
    assert headless.banner.notice is not None and "do not match" in headless.banner.notice.text
    headless.setup(ADMIN, PASSWORD, PASSWORD, "   ")
    assert "organisation" in headless.banner.notice.text
    assert headless.runner.calls == calls and headless.screen == Screen.onboarding  # type: ignore[attr-defined]


def test_weak_password_at_setup_is_shown_and_nothing_is_created(headless: AppState, url: str, dalgo_home: Path) -> None:
    _local(headless, url, dalgo_home)
    headless.setup(ADMIN, "password1", "password1", "Alpha Office")
    assert headless.screen == Screen.onboarding
    assert headless.banner.notice is not None and headless.banner.notice.level == Level.error
    assert "at least 10 characters" in headless.banner.notice.text
    assert DalgoClient(url).setup_status().needs_setup is True


def test_wrong_password_puts_the_servers_words_in_the_banner(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home)
    headless.logout()
    headless.login(ADMIN, "wrong-password")
    assert headless.screen == Screen.login and not headless.busy
    assert headless.banner.notice is not None
    assert headless.banner.notice.text == "The email or password is not right."


def test_remember_me_keeps_only_the_refresh_token_in_a_private_file(
    headless: AppState, url: str, dalgo_home: Path
) -> None:
    _set_up(headless, url, dalgo_home, remember=False)
    headless.logout()
    headless.login(ADMIN, PASSWORD, remember=True)
    path = dalgo_home / "credentials.json"
    stored = json.loads(path.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PASSWORD not in path.read_text()
    (entry,) = stored.values()
    assert entry["email"] == ADMIN and entry["refresh_token"] == headless.client.tokens.refresh_token  # type: ignore[union-attr]

    restarted = _local(_fresh_state(dalgo_home), url, dalgo_home)  # the next launch of the app
    assert restarted.screen == Screen.main and restarted.me is not None and restarted.me.email == ADMIN
    rotated = json.loads(path.read_text())[restarted.target.key]["refresh_token"]  # type: ignore[union-attr]
    assert rotated != entry["refresh_token"] and rotated == restarted.client.tokens.refresh_token  # type: ignore[union-attr]


def test_without_remember_me_the_next_launch_asks_to_sign_in(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home, remember=False)
    assert (
        not (dalgo_home / "credentials.json").exists()
        or json.loads((dalgo_home / "credentials.json").read_text()) == {}
    )
    restarted = _local(_fresh_state(dalgo_home), url, dalgo_home)
    assert restarted.screen == Screen.login
    assert restarted.last_email == ADMIN


def test_logout_forgets_and_revokes_the_remembered_sign_in(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home, remember=True)
    token = headless.client.tokens.refresh_token  # type: ignore[union-attr]
    headless.logout()
    assert headless.screen == Screen.login and headless.me is None
    assert json.loads((dalgo_home / "credentials.json").read_text()) == {}
    assert _local(_fresh_state(dalgo_home), url, dalgo_home).screen == Screen.login
    from desktop.client.errors import SessionExpired

    with pytest.raises(SessionExpired):
        DalgoClient(url).resume(token)


def test_switching_org_changes_the_member_list_without_signing_in_again(
    headless: AppState, url: str, dalgo_home: Path
) -> None:
    _set_up(headless, url, dalgo_home)
    users = UsersModel(headless)
    users.load()
    assert [m.email for m in users.members] == [ADMIN]
    AccountModel(headless).create_org("Beta Office")
    assert headless.org is not None and headless.org.org.name == "Beta Office"
    users.invite("beta-analyst@example.org", "analyst")
    assert [i.email for i in users.invitations] == ["beta-analyst@example.org"]
    tokens = headless.client.tokens  # type: ignore[union-attr]
    alpha = next(m.org.slug for m in headless.me.memberships if m.org.name == "Alpha Office")  # type: ignore[union-attr]
    headless.switch_org(alpha)
    assert headless.client.org == alpha and headless.client.tokens is tokens  # type: ignore[union-attr]
    assert users.invitations == [] and [m.email for m in users.members] == [ADMIN]


class DeferredRunner:
    """Queues work so a test decides the order results arrive in."""

    def __init__(self) -> None:
        self.queue: list[tuple[Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]]] = []

    def submit(self, work: Callable[[], Any], on_done: Callable[[Any], None], on_error: Any) -> None:
        self.queue.append((work, on_done, on_error))

    def run(self, index: int) -> None:
        work, on_done, _on_error = self.queue.pop(index)
        on_done(work())


def test_a_late_answer_for_the_previous_org_is_dropped(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home)
    AccountModel(headless).create_org("Beta Office")
    beta = headless.org.org.slug  # type: ignore[union-attr]
    alpha = next(m.org.slug for m in headless.me.memberships if m.org.slug != beta)  # type: ignore[union-attr]
    headless.client.create_invitation("only-beta@example.org", "member", org=beta)  # type: ignore[union-attr]
    headless.switch_org(alpha)
    users = UsersModel(headless)
    deferred = DeferredRunner()
    headless.runner = deferred
    users.load()  # Alpha's lists requested...
    headless.switch_org(beta)  # ...the user switches to Beta before they arrive
    deferred.run(1)  # Beta's answer first
    deferred.run(0)  # then Alpha's, late
    assert [i.email for i in users.invitations] == ["only-beta@example.org"]


def test_invite_hands_over_a_code_that_a_second_user_accepts(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home, remember=False)
    users = UsersModel(headless)
    created: list[Any] = []
    users.invitation_created.connect(created.append)
    users.invite("field@example.org", "analyst")
    (invitation,) = created
    assert invitation.code in users.handover_text(invitation) and "Alpha Office" in users.handover_text(invitation)

    second = _local(_fresh_state(dalgo_home), url, dalgo_home)
    assert second.screen == Screen.login
    second.accept_invitation(invitation.code.lower(), PASSWORD, PASSWORD)
    assert second.screen == Screen.main
    assert second.me is not None and second.me.email == "field@example.org"
    assert second.org is not None and (second.org.org.name, second.org.role) == ("Alpha Office", "analyst")
    assert "Welcome to Alpha Office" in second.banner.notice.text
    assert not second.can("users:manage") and second.can("users:read") and not second.can("orgs:create")


def test_admin_actions_on_members(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home)
    users = UsersModel(headless)
    codes: list[Any] = []
    users.invitation_created.connect(lambda inv: DalgoClient(url).accept_invitation(inv.code, PASSWORD))
    users.reset_issued.connect(codes.append)
    users.invite("ana@example.org", "analyst")
    users.load()
    ana = next(m for m in users.members if m.email == "ana@example.org")
    me = next(m for m in users.members if m.email == ADMIN)
    assert users.can_act_on(ana) and not users.can_act_on(me)
    users.change_role(ana, "member")
    assert "ana@example.org is now member" in headless.banner.notice.text  # type: ignore[union-attr]
    assert next(m for m in users.members if m.email == "ana@example.org").role == "member"
    users.issue_reset(ana)
    assert codes and codes[0].email == "ana@example.org" and codes[0].token in users.reset_text(codes[0])
    users.remove(next(m for m in users.members if m.email == "ana@example.org"))
    assert [m.email for m in users.members] == [ADMIN]


def test_member_list_sorts_by_column_and_flips(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home)
    for email, role in (("zed@example.org", "member"), ("amy@example.org", "analyst")):
        DalgoClient(url).accept_invitation(headless.client.create_invitation(email, role).code, PASSWORD)  # type: ignore[union-attr]
    users = UsersModel(headless)
    users.load()
    assert [m.email for m in users.rows()] == ["amy@example.org", ADMIN, "zed@example.org"]
    users.sort("role")
    assert [m.role for m in users.rows()] == ["admin", "analyst", "member"]
    users.sort("role")
    assert [m.role for m in users.rows()] == ["member", "analyst", "admin"]


def test_an_ended_session_goes_back_to_login_with_an_explanation(
    headless: AppState, url: str, dalgo_home: Path
) -> None:
    _set_up(headless, url, dalgo_home, remember=True)
    other = DalgoClient(url)
    other.login(ADMIN, PASSWORD)
    other.change_password(PASSWORD, "new-river-phrase-42")
    UsersModel(headless).load()
    assert headless.screen == Screen.login and headless.me is None
    assert "sign in again" in headless.banner.notice.text  # type: ignore[union-attr]
    assert json.loads((dalgo_home / "credentials.json").read_text()) == {}


def test_change_password_then_sign_in_with_the_new_one(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home)
    done: list[bool] = []
    AccountModel(headless).change_password(
        PASSWORD, "new-river-phrase-42", "new-river-phrase-43", then=lambda: done.append(True)
    )
    assert not done and "do not match" in headless.banner.notice.text  # type: ignore[union-attr]
    AccountModel(headless).change_password(
        PASSWORD, "new-river-phrase-42", "new-river-phrase-42", then=lambda: done.append(True)
    )
    assert done and headless.banner.notice.level == Level.success  # type: ignore[union-attr]
    headless.logout()
    headless.login(ADMIN, "new-river-phrase-42")
    assert headless.screen == Screen.main


def test_unreachable_hosted_server_keeps_the_local_one_and_the_typed_email(
    headless: AppState, url: str, dalgo_home: Path
) -> None:
    import socket

    _set_up(headless, url, dalgo_home)
    headless.logout()
    local, client = headless.target, headless.client
    sock = socket.socket()
    sock.bind(("127.0.0.2", 0))  # a loopback address that is not "this computer"'s name: a hosted server that is down
    port = sock.getsockname()[1]
    sock.close()
    targets: list[object] = []
    headless.target_changed.connect(targets.append)
    headless.connect_hosted(f"http://127.0.0.2:{port}")
    assert headless.target is local and headless.client is client and targets == []
    assert headless.screen == Screen.login and not headless.busy and headless.last_email == ADMIN
    text = headless.banner.notice.text  # type: ignore[union-attr]
    assert "127.0.0.2 is not answering" in text and "Errno" not in text
    headless.login(ADMIN, PASSWORD)  # the local server still works
    assert headless.screen == Screen.main
    headless.connect_hosted("")
    assert "Enter the address" in headless.banner.notice.text  # type: ignore[union-attr]


def test_a_hosted_server_unreachable_at_launch_falls_back_to_this_computer(url: str, dalgo_home: Path) -> None:
    state = _fresh_state(dalgo_home)
    state.prefs.remember_server("https://dalgo.invalid", "https://dalgo.invalid")
    state.launch()
    assert state.target is None and "Can't reach dalgo.invalid" in state.banner.notice.text  # type: ignore[union-attr]
    _local(state, url, dalgo_home)
    assert state.target is not None and state.target.embedded and state.screen == Screen.onboarding


def test_the_hosted_server_used_last_is_opened_at_launch(headless: AppState, url: str, dalgo_home: Path) -> None:
    headless.connect_hosted(url)  # the test server stands in for a hosted one
    assert headless.screen == Screen.onboarding and headless.target is not None and not headless.target.embedded
    relaunched = _fresh_state(dalgo_home)
    relaunched.launch()
    assert relaunched.target == headless.target and relaunched.screen == Screen.onboarding


def test_audit_model_reads_the_orgs_security_events(headless: AppState, url: str, dalgo_home: Path) -> None:
    _set_up(headless, url, dalgo_home)
    audit = AuditModel(headless)
    assert audit.allowed
    audit.load()
    assert "org.created" in [event.action for event in audit.events] and audit.total >= 1
