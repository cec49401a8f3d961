"""The vocabulary, plain error words, invitation codes and Home per role: headless, no Qt."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.client import DalgoClient
from desktop.client.errors import ServerUnreachable, ValidationError, message, plain_validation
from desktop.client.models import Me, Member, Membership, Org
from desktop.state import home, roles, words
from desktop.state.credentials import FileCredentialStore
from desktop.state.runner import InlineRunner
from desktop.state.session import AppState, code_problem, email_problem, normalise_code
from desktop.state.users import UsersModel
from server.core.permissions import ROLE_PERMISSIONS, Role


def test_plural_and_verb_agree_with_the_count() -> None:
    assert words.plural(1, "source") == "1 source" and words.plural(3, "source") == "3 sources"
    assert words.plural(0, "cluster") == "0 clusters" and words.plural(1200, "row") == "1,200 rows"
    assert words.plural(2, "match") == "2 matches" and words.plural(2, "entry") == "2 entries"
    assert f"1 source {words.agree(1, 'brings', 'bring')} data" == "1 source brings data"
    assert words.agree(2, "brings", "bring") == "bring"


def test_every_duckdb_type_has_a_plain_name() -> None:
    import duckdb

    names = [row[0] for row in duckdb.sql("select distinct type_name from duckdb_types()").fetchall()]
    assert len(names) > 20
    for name in [*names, "DECIMAL(18,3)", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]", "STRUCT(a INTEGER)"]:
        plain = words.type_name(name)
        assert plain in words.TYPE_NAMES.values() and (plain != name or name.islower()), name
    assert [words.type_name(t) for t in ("VARCHAR", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN")] == [
        "text", "whole number", "decimal number", "date", "date and time", "yes/no"
    ]  # fmt: skip
    assert "VARCHAR" in words.type_tip("VARCHAR")  # the technical name stays in the tooltip


def test_every_sync_mode_has_a_plain_label_and_a_technical_tooltip() -> None:
    from desktop.state.sources import MODE_LABELS

    assert words.sync_mode("full_refresh") == "Replace everything each time"
    assert words.sync_mode("incremental_append") == "Add new rows"
    assert words.sync_mode("incremental_dedup") == "Add new and update changed rows"
    for key in ("full_refresh", "incremental_append", "incremental_dedup"):
        assert MODE_LABELS[key] == words.sync_mode(key)
        assert key.split("_")[0] in words.sync_mode_tip(key).lower()


def test_role_names_are_one_name_everywhere() -> None:
    assert [roles.label(r) for r in ("super-admin", "admin", "analyst", "member")] == [
        "Super admin", "Admin", "Analyst", "Member"
    ]  # fmt: skip
    for text in roles.DESCRIPTIONS.values():
        assert "warehouse" not in text
    assert "later version" in roles.DESCRIPTIONS["member"]  # charts and dashboards are not built yet, and it says so
    assert "pipelines" in roles.DESCRIPTIONS["member"]  # what members can see today
    boss = Member(id="1", email="b@x.org", role="admin", joined_at="2026-01-01T00:00:00Z", is_superuser=True)
    assert roles.label(boss.acting_role) == "Super admin"


# --- network and sign-in errors -------------------------------------------------------------------
def _closed_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.2", 0))
    sock.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def _failure(url: str, timeout: float = 10.0) -> ServerUnreachable:
    with DalgoClient(url, timeout=timeout) as client, pytest.raises(ServerUnreachable) as info:
        client.health()
    assert "Errno" not in info.value.detail and "[" not in info.value.detail
    return info.value


def test_a_name_that_does_not_resolve_says_check_the_address() -> None:
    err = _failure("https://dalgo.invalid")
    assert err.detail == "Can't reach dalgo.invalid. Check the address or your internet connection."
    assert err.technical  # the transport's words stay for the log


def test_a_refused_connection_says_the_server_may_be_stopped() -> None:
    err = _failure(f"http://127.0.0.2:{_closed_port('127.0.0.2')}")
    assert err.detail.startswith("127.0.0.2 is not answering")
    local = _failure(f"http://127.0.0.1:{_closed_port('127.0.0.1')}")
    assert "this computer" in local.detail and "127.0.0.1" not in local.detail


def test_a_server_that_does_not_answer_in_time_says_so(silent_server: str) -> None:
    err = _failure(silent_server, timeout=0.5)
    assert "took too long to answer" in err.detail


def test_validation_refusals_are_in_plain_words(url: str) -> None:
    with DalgoClient(url) as client, pytest.raises(ValidationError) as info:
        client.login("amina@fieldngo.org@fieldngo.org", "whatever-password")
    assert "value is not a valid email" in info.value.detail  # the raw text stays for forms that map fields
    assert message(info.value) == "That does not look like an email address: check it."
    assert plain_validation("password: String should have at least 10 characters") == (
        "The password is too short: use at least 10 characters."
    )


def test_sign_in_checks_the_email_before_asking_the_server() -> None:
    assert email_problem("amina@fieldngo.org") is None
    assert email_problem("amina@fieldngo.orgamina@fieldngo.org") is not None
    assert email_problem("amina") is not None


# --- invitation codes -----------------------------------------------------------------------------
def test_invitation_codes_are_normalised_as_typed_or_read_aloud() -> None:
    for typed in ("tqdw xc3h r2qm", "TQDW-XC3H-R2QM", " tqdwxc3hr2qm ", "tqdw-xc3h-r2qm"):
        assert normalise_code(typed) == "TQDW-XC3H-R2QM" and code_problem(typed) is None
    assert "12 letters and digits" in (code_problem("tqdw xc3h r2q") or "")


# --- Home per role --------------------------------------------------------------------------------
def _app_as(role: str, tmp_path: Path) -> AppState:
    app = AppState(InlineRunner(), FileCredentialStore(tmp_path / "credentials.json"))
    permissions = frozenset(p.value for p in ROLE_PERMISSIONS[Role(role)])
    app.org = Membership(org=Org(id="o", name="Sunrise", slug="sunrise"), role=role, permissions=permissions)
    app.me = Me(id="u", email="u@example.org", is_superuser=role == "super-admin", memberships=[app.org])
    return app


@pytest.mark.parametrize("role", ["super-admin", "admin", "analyst", "member"])
def test_home_suggests_only_what_the_role_can_do(role: str, tmp_path: Path) -> None:
    app = _app_as(role, tmp_path)
    steps = home.next_steps(app)
    titles = [s.title for s in steps]
    assert steps, role
    if role in ("super-admin", "admin"):
        assert titles[0] == "Add a source" and "Invite your team" in titles  # bringing in data comes first
        assert "Run it every day" in titles
    else:
        assert "Add a source" not in titles and "Invite your team" not in titles
    if role == "analyst":
        assert titles == ["Look at your data", "Try a cleaning recipe"]
    ready = [s.key for s in home.available(app)]
    if role == "member":  # members see pipelines and their runs, not the data
        assert titles == ["Ask for more access"] and ready == ["pipelines"]
    else:
        assert ready == ["sources", "data", "transform", "pipelines"]
    assert [s.key for s in home.later()] == ["charts", "dashboards", "sync"]


def test_the_invitation_message_says_how_another_office_joins(tmp_path: Path) -> None:
    from desktop.client.models import Invitation
    from desktop.state.server import ServerTarget

    app = _app_as("admin", tmp_path)
    users = UsersModel(app)
    invitation = Invitation(id="i", email="b@x.org", role="analyst", code="TQDW-XC3H-R2QM",
                            expires_at="2026-12-10T12:00:00Z", org_slug="sunrise", org_name="Sunrise")  # fmt: skip
    app.target = ServerTarget.local("http://127.0.0.1:1", tmp_path)
    assert "this computer" in users.handover_text(invitation) and "another office" in users.handover_note()
    assert "as analyst" in users.handover_text(invitation)
    app.target = ServerTarget.hosted("dalgo.example.org")
    text = users.handover_text(invitation)
    assert "Connect to a hosted server" in text and "https://dalgo.example.org" in text
