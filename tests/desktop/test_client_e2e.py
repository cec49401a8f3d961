"""DalgoClient against the real server in a uvicorn thread: every route the desktop uses, errors by class."""

from __future__ import annotations

import threading

import pytest

from desktop.client import DalgoClient
from desktop.client import errors as e
from desktop.client.models import TokenPair
from tests.desktop.conftest import ADMIN, PASSWORD, invite_and_join

pytestmark = pytest.mark.e2e


def test_first_run_setup_then_setup_is_closed(url: str) -> None:
    client = DalgoClient(url)
    assert client.health().status == "ok" and client.health().mode == "embedded"
    assert client.setup_status().needs_setup is True
    client.setup(ADMIN, PASSWORD, "Alpha Office")
    me = client.me()
    assert me.email == ADMIN and me.is_superuser
    assert [m.org.name for m in me.memberships] == ["Alpha Office"]
    assert client.setup_status().needs_setup is False
    with pytest.raises(e.AlreadySetUp) as err:
        DalgoClient(url).setup("other@example.org", PASSWORD, "Beta")
    assert isinstance(err.value, e.Conflict) and err.value.status == 409


def test_wrong_password_raises_invalid_credentials_with_a_readable_message(admin: DalgoClient) -> None:
    with pytest.raises(e.InvalidCredentials) as err:
        DalgoClient(admin.base_url).login(ADMIN, "not-the-password")
    assert err.value.name == "InvalidCredentials" and err.value.status == 401
    assert "email or password is not right" in err.value.detail


def test_repeated_failures_lock_the_account_and_say_when_to_retry(admin: DalgoClient) -> None:
    client = DalgoClient(admin.base_url)
    for _ in range(5):
        with pytest.raises(e.InvalidCredentials):
            client.login(ADMIN, "wrong-password")
    with pytest.raises(e.AccountLocked) as err:
        client.login(ADMIN, PASSWORD)
    assert err.value.retry_after and err.value.retry_after > 0
    assert "Try again in" in err.value.detail


def test_org_header_decides_whose_members_are_listed(admin: DalgoClient) -> None:
    beta = admin.create_org("Beta Office")
    invite_and_join(admin, "field@example.org", "analyst", org=beta.slug)
    alpha_emails = [m.email for m in admin.list_users().items]
    beta_emails = sorted(m.email for m in admin.list_users(org=beta.slug).items)
    assert alpha_emails == [ADMIN]
    assert beta_emails == ["field@example.org", ADMIN]
    admin.use_org(beta.slug)
    assert len(admin.list_users().items) == 2


def test_unknown_org_slug_is_not_found(admin: DalgoClient) -> None:
    with pytest.raises(e.NotFound) as err:
        admin.list_users(org="no-such-org")
    assert "no-such-org" in err.value.detail


def test_invitation_role_change_and_removal(admin: DalgoClient) -> None:
    invitation = admin.create_invitation("ana@example.org", "analyst")
    assert len(invitation.code) == 14 and invitation.org_name == "Alpha Office"
    assert [i.email for i in admin.list_invitations().items] == ["ana@example.org"]
    ana = DalgoClient(admin.base_url)
    result = ana.accept_invitation(invitation.code, PASSWORD)
    assert result.org_slug == admin.org
    assert [(m.org.name, m.role) for m in ana.me().memberships] == [("Alpha Office", "analyst")]
    assert admin.list_invitations().items == []
    member = next(m for m in admin.list_users().items if m.email == "ana@example.org")
    assert admin.update_user_role(member.id, "member").role == "member"
    admin.remove_user(member.id)
    assert [m.email for m in admin.list_users().items] == [ADMIN]


def test_business_rules_come_back_as_named_errors(admin: DalgoClient) -> None:
    me = admin.me()
    with pytest.raises(e.OwnRoleChange):
        admin.update_user_role(me.id, "member")
    admin.create_invitation("dup@example.org", "member")
    with pytest.raises(e.InvitationPending):
        admin.create_invitation("dup@example.org", "member")
    analyst = invite_and_join(admin, "ana@example.org", "analyst")
    with pytest.raises(e.Forbidden):
        analyst.create_invitation("x@example.org", "member")
    with pytest.raises(e.Forbidden):
        analyst.create_org("Rogue Org")
    with pytest.raises(e.ValidationError):
        admin.create_invitation("not-an-email", "member")


def test_cancelled_invitation_code_no_longer_works(admin: DalgoClient) -> None:
    invitation = admin.create_invitation("late@example.org", "member")
    admin.cancel_invitation(invitation.id)
    with pytest.raises(e.InvalidInvitation) as err:
        DalgoClient(admin.base_url).accept_invitation(invitation.code, PASSWORD)
    assert "ask your admin" in err.value.detail


def test_weak_password_is_refused_with_the_reason(admin: DalgoClient) -> None:
    invitation = admin.create_invitation("weak@example.org", "member")
    with pytest.raises(e.WeakPassword) as err:
        DalgoClient(admin.base_url).accept_invitation(invitation.code, "short")
    assert "at least 10 characters" in err.value.detail


def test_admin_issued_reset_code_sets_a_new_password_once(admin: DalgoClient) -> None:
    invite_and_join(admin, "forgetful@example.org", "member")
    member = next(m for m in admin.list_users().items if m.email == "forgetful@example.org")
    reset = admin.issue_password_reset(member.id)
    assert reset.email == "forgetful@example.org"
    anonymous = DalgoClient(admin.base_url)
    assert "Ask an admin" in anonymous.request_password_reset("forgetful@example.org")
    anonymous.reset_password(reset.token, "blue-giraffe-river-9")
    anonymous.login("forgetful@example.org", "blue-giraffe-river-9")
    with pytest.raises(e.InvalidResetToken):
        anonymous.reset_password(reset.token, "another-long-phrase-3")


def test_stale_access_token_is_refreshed_once_and_the_call_succeeds(admin: DalgoClient) -> None:
    seen: list[TokenPair | None] = []
    admin.on_tokens = seen.append
    old = admin.tokens
    assert old is not None
    admin._tokens = TokenPair(access_token="expired.or.forged", refresh_token=old.refresh_token)
    assert admin.me().email == ADMIN
    assert len(seen) == 1 and seen[0] is not None and seen[0].refresh_token != old.refresh_token


def test_concurrent_calls_share_one_refresh(admin: DalgoClient) -> None:
    """Rotating refresh tokens end the session if spent twice: parallel 401s must refresh only once."""
    refreshes: list[TokenPair | None] = []
    admin.on_tokens = refreshes.append
    old = admin.tokens
    assert old is not None
    admin._tokens = TokenPair(access_token="stale", refresh_token=old.refresh_token)
    results: list[object] = []

    def call() -> None:
        try:
            results.append(admin.list_users().total)
        except Exception as err:
            results.append(err)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 6
    assert len(refreshes) == 1


def test_ended_session_surfaces_session_expired(admin: DalgoClient) -> None:
    other = DalgoClient(admin.base_url)
    other.login(ADMIN, PASSWORD)
    other.change_password(PASSWORD, "new-river-phrase-42")  # ends every other session of this user
    with pytest.raises(e.SessionExpired) as err:
        admin.me()
    assert "sign in again" in err.value.detail
    assert admin.tokens is None
    assert other.me().email == ADMIN


def test_logout_revokes_the_refresh_token(admin: DalgoClient) -> None:
    tokens = admin.tokens
    assert tokens is not None
    assert admin.logout() is True
    assert admin.tokens is None
    with pytest.raises(e.SessionExpired):
        DalgoClient(admin.base_url).resume(tokens.refresh_token)


def test_audit_log_lists_security_events(admin: DalgoClient) -> None:
    admin.create_invitation("audited@example.org", "member")
    actions = [event.action for event in admin.list_audit().items]
    assert "user.invited" in actions and "org.created" in actions
    invited = next(ev for ev in admin.list_audit(action="user.invited").items)
    assert invited.actor_email == ADMIN and invited.target == "audited@example.org"
