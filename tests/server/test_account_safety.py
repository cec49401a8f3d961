"""Accounts cannot be taken over across orgs, and the sign-in lockout is fair to a shared office address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import sqlite_app
from tests.server.factories import STRONG, Actor, Api


def _login(api: Api, email: str, password: str) -> int:
    return api.client.post("/api/v1/auth/login", json={"email": email, "password": password}).status_code


def _accept(api: Api, code: str, password: str) -> int:
    return api.client.post("/api/v1/invitations/accept", json={"code": code, "password": password}).status_code


def _reset(api: Api, issuer: Actor, target: Actor) -> tuple[int, dict[str, str]]:
    r = api.client.post(f"/api/v1/users/{api.user_id(target)}/password-reset", headers=issuer.headers())
    return r.status_code, r.json()


def _two_orgs(api: Api) -> tuple[Actor, Actor, str]:
    """A super-admin, an admin of the first org only, and the slug of a second org."""
    root = api.setup()
    admin_a = api.add_member(root, "admin.a@example.org", "admin")
    return root, admin_a, api.create_org(root, "Beta Office")


def test_admin_cannot_issue_a_reset_for_someone_who_also_belongs_to_another_org(api: Api) -> None:
    root, admin_a, beta = _two_orgs(api)
    shared = api.add_member(root, "shared@example.org", "member")
    api.add_member(root, "shared@example.org", "admin", org=beta)  # same person, admin of Beta
    status, body = _reset(api, admin_a, shared)
    assert status == 403
    assert body == {
        "error": "ResetNeedsSuperAdmin",
        "detail": "This person also belongs to another organisation; only a super-admin can reset their password.",
    }
    assert _reset(api, root, shared)[0] == 201  # a super-admin still can


def test_admin_resets_a_member_whose_every_org_they_administer(api: Api) -> None:
    root, admin_a, beta = _two_orgs(api)
    only_a = api.add_member(root, "only.a@example.org", "analyst")
    assert _reset(api, admin_a, only_a)[0] == 201
    both = api.add_member(root, "both@example.org", "member")
    api.add_member(root, "both@example.org", "member", org=beta)
    assert _reset(api, admin_a, both)[0] == 403
    api.add_member(root, admin_a.email, "admin", org=beta)  # now admin of both of that person's orgs
    assert _reset(api, admin_a, both)[0] == 201


def test_only_a_super_admin_resets_a_super_admin(api: Api) -> None:
    root, admin_a, _beta = _two_orgs(api)
    status, body = _reset(api, admin_a, root)
    assert status == 403 and body["error"] == "RoleTooHigh"


def test_wrong_passwords_on_invitation_accept_count_toward_the_account_lockout(api: Api) -> None:
    root, _admin_a, beta = _two_orgs(api)
    api.add_member(root, "guessme@example.org", "member")
    code = api.invite(root, "guessme@example.org", "member", org=beta)["code"]
    assert [_accept(api, code, f"guess-number-{i}") for i in range(5)] == [400] * 5
    assert _accept(api, code, STRONG) == 429  # the right password no longer helps: the account is locked
    assert _login(api, "guessme@example.org", STRONG) == 429


def test_a_locked_account_is_refused_at_invitation_accept(api: Api) -> None:
    root, _admin_a, beta = _two_orgs(api)
    api.add_member(root, "locked@example.org", "member")
    code = api.invite(root, "locked@example.org", "member", org=beta)["code"]
    for i in range(5):
        assert _login(api, "locked@example.org", f"wrong-password-{i}") == 401
    r = api.client.post("/api/v1/invitations/accept", json={"code": code, "password": STRONG})
    assert r.status_code == 429 and r.json()["error"] == "AccountLocked"


def test_one_person_mistyping_does_not_lock_out_the_office_behind_the_same_address(api: Api) -> None:
    root = api.setup()
    colleagues = [f"officer{i}@example.org" for i in range(10)]
    for email in colleagues:
        api.add_member(root, email, "analyst")
    for _ in range(5):
        assert _login(api, colleagues[0], "not-my-password") == 401
    for email in colleagues[1:]:  # everyone else mistypes a few times too: more failures than one person's limit
        for _ in range(4):
            assert _login(api, email, "not-my-password") == 401
    assert _login(api, colleagues[0], STRONG) == 429
    assert [_login(api, email, STRONG) for email in colleagues[1:]] == [200] * 9


@pytest.fixture
def low_ceiling_api(tmp_path: Path) -> Iterator[Api]:
    with TestClient(sqlite_app(tmp_path / "home", login_max_failures_per_ip=12)) as client:
        yield Api(client)


def test_a_spray_across_many_accounts_from_one_address_is_stopped_by_the_ceiling(low_ceiling_api: Api) -> None:
    api = low_ceiling_api
    api.setup()
    assert [_login(api, f"user{i}@example.org", "spring-2024") for i in range(12)] == [401] * 12
    r = api.client.post("/api/v1/auth/login", json={"email": "root@example.org", "password": STRONG})
    assert r.status_code == 429
    assert "this computer's address" in r.json()["detail"]


def test_no_account_is_created_with_an_address_sign_in_refuses(tmp_path: Path) -> None:
    """The rule lives in the service, so the CLI, setup and invitations cannot drift from what login accepts."""
    from server.auth.errors import InvalidEmail
    from server.auth.service import AuthService

    app = sqlite_app(tmp_path / "home")
    with app.state.session_factory() as session:
        service = AuthService(session, app.state.settings)
        with pytest.raises(InvalidEmail, match="special-use or reserved name"):
            service.create_user("boss@example.test", STRONG, superuser=True)
        assert service.create_user("Boss@Example.ORG", STRONG).email == "boss@example.org"
