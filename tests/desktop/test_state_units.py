"""Pure pieces of desktop.state: server addresses, roles, credential stores, preferences, banner words."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from desktop.client.errors import InvalidCredentials, ServerUnreachable
from desktop.client.models import Membership, Org
from desktop.state import access, roles
from desktop.state.audit import action_label, detail_text
from desktop.state.banner import Banner, describe
from desktop.state.credentials import FileCredentialStore, KeyringCredentialStore, Remembered, default_store
from desktop.state.prefs import Preferences
from desktop.state.server import ServerTarget, normalise_url


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("dalgo.example.org", "https://dalgo.example.org"),
        ("  http://10.0.0.5:8000/ ", "http://10.0.0.5:8000"),
        ("https://dalgo.example.org/api/v1", "https://dalgo.example.org"),
        ("https://example.org/dalgo/docs", "https://example.org/dalgo"),
    ],
)
def test_a_typed_server_address_is_normalised(typed: str, url: str) -> None:
    assert normalise_url(typed) == url


@pytest.mark.parametrize("typed", ["", "ftp://files.example.org", "https://"])
def test_a_bad_server_address_is_explained(typed: str) -> None:
    with pytest.raises(ValueError, match=r"server|address"):
        normalise_url(typed)


def test_local_and_hosted_targets_are_labelled_and_keyed_apart(tmp_path: Path) -> None:
    local = ServerTarget.local("http://127.0.0.1:50123/", tmp_path)
    assert local.short_label == "Local" and local.key == f"local:{tmp_path}" and local.url == "http://127.0.0.1:50123"
    hosted = ServerTarget.hosted("dalgo.example.org")
    assert hosted.short_label == "dalgo.example.org" and hosted.key == "https://dalgo.example.org"


def test_nobody_can_give_a_role_above_their_own() -> None:
    assert roles.assignable("super-admin") == ["admin", "analyst", "member"]
    assert roles.assignable("admin") == ["admin", "analyst", "member"]
    assert roles.assignable("analyst") == ["analyst", "member"]


def test_what_the_ui_allows_is_read_from_the_permissions_me_sent() -> None:
    org = Org(id="o1", name="Alpha", slug="alpha")
    # a role name alone grants nothing: only the permissions the server listed for the membership count
    analyst = Membership(org=org, role="analyst", permissions=frozenset({"users:read", "sources:read"}))
    assert access.may(analyst, "users:read") and access.may(analyst, "sources:read")
    assert not access.may(analyst, "users:manage") and not access.may(analyst, "sources:write")
    assert not access.may(Membership(org=org, role="admin"), "sources:read") and not access.may(None, "users:read")


def test_file_store_is_private_and_forgets(tmp_path: Path) -> None:
    store = FileCredentialStore(tmp_path / "credentials.json")
    store.save("local:x", Remembered("a@example.org", "tok-1"))
    store.save("https://h", Remembered("b@example.org", "tok-2"))
    assert stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode) == 0o600
    assert store.load("local:x") == Remembered("a@example.org", "tok-1")
    store.forget("local:x")
    assert store.load("local:x") is None and store.load("https://h") is not None


def test_file_store_tolerates_a_damaged_file(tmp_path: Path) -> None:
    (tmp_path / "credentials.json").write_text("{not json")
    store = FileCredentialStore(tmp_path / "credentials.json")
    assert store.load("k") is None
    store.save("k", Remembered("a@example.org", "t"))
    assert store.load("k") == Remembered("a@example.org", "t")


class FakeKeyring:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, key: str) -> str | None:
        return self.items.get((service, key))

    def set_password(self, service: str, key: str, value: str) -> None:
        self.items[(service, key)] = value

    def delete_password(self, service: str, key: str) -> None:
        del self.items[(service, key)]


def test_keyring_store_keeps_the_token_under_the_server_key() -> None:
    keyring = FakeKeyring()
    store = KeyringCredentialStore(keyring)
    store.save("local:/data", Remembered("a@example.org", "tok"))
    assert json.loads(keyring.items[("Dalgo Desktop", "local:/data")]) == {
        "email": "a@example.org",
        "refresh_token": "tok",
    }
    assert store.load("local:/data") == Remembered("a@example.org", "tok")
    store.forget("local:/data")
    store.forget("local:/data")  # forgetting twice is fine
    assert store.load("local:/data") is None


def test_without_a_working_keyring_the_file_store_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    store = default_store(tmp_path)
    assert store.kind == "file" and isinstance(store, FileCredentialStore)
    assert store.path == tmp_path / "credentials.json"


def test_preferences_remember_servers_emails_and_orgs(tmp_path: Path) -> None:
    prefs = Preferences(tmp_path / "desktop.json")
    prefs.remember_server("https://h", "https://h")
    prefs.remember_user("https://h", "a@example.org", "beta")
    again = Preferences(tmp_path / "desktop.json")
    assert again.last_server == "https://h" and again.hosted_urls == ["https://h"]
    assert again.last_email("https://h") == "a@example.org" and again.last_org("https://h", "a@example.org") == "beta"
    assert "token" not in (tmp_path / "desktop.json").read_text()


def test_banner_words_for_failures() -> None:
    banner = Banner()
    seen: list[object] = []
    banner.changed.connect(seen.append)
    banner.error(InvalidCredentials("InvalidCredentials", "The email or password is not right.", 401))
    assert banner.notice is not None and banner.notice.text == "The email or password is not right."
    assert describe(ServerUnreachable("ServerUnreachable", "Can't reach x.org.", 0)) == "Can't reach x.org."
    assert "ZeroDivisionError" in describe(ZeroDivisionError("boom"))
    banner.clear()
    assert seen[-1] is None and banner.notice is None


def test_audit_events_read_as_words() -> None:
    from datetime import UTC, datetime

    from desktop.client.models import AuditEvent

    event = AuditEvent(
        id="1", action="user.role_changed", detail={"old": "member", "new": "analyst"}, created_at=datetime.now(UTC)
    )
    assert action_label(event.action) == "Changed role" and detail_text(event) == "member → analyst"
    assert action_label("source.synced") == "Source synced"
