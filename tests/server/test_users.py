"""Members, roles and invitations: the rules a user of the Users page runs into."""

from __future__ import annotations

from tests.server.factories import STRONG, Api


def test_invite_accept_lists_member_with_role_and_audits(api: Api) -> None:
    root = api.setup()
    invitation = api.invite(root, "Analyst@Example.org", "analyst")
    assert invitation["email"] == "analyst@example.org" and len(invitation["code"]) == 14
    pending = api.client.get("/api/v1/invitations", headers=root.headers()).json()
    assert [i["email"] for i in pending["items"]] == ["analyst@example.org"]
    r = api.client.post("/api/v1/invitations/accept", json={"code": invitation["code"].lower(), "password": STRONG})
    assert r.status_code == 200 and r.json()["org_slug"] == root.org_slug
    members = api.client.get("/api/v1/users", headers=root.headers()).json()["items"]
    assert {(m["email"], m["role"]) for m in members} == {
        ("root@example.org", "admin"),
        ("analyst@example.org", "analyst"),
    }
    assert api.client.get("/api/v1/invitations", headers=root.headers()).json()["total"] == 0
    actions = [e["action"] for e in api.client.get("/api/v1/audit", headers=root.headers()).json()["items"]]
    assert "user.invited" in actions and "invitation.accepted" in actions


def test_used_expired_or_wrong_codes_are_refused(api: Api) -> None:
    root = api.setup()
    member = api.add_member(root, "m@example.org", "member")
    assert member.access_token
    code = "ZZZZ-ZZZZ-ZZZZ"
    r = api.client.post("/api/v1/invitations/accept", json={"code": code, "password": STRONG})
    assert r.status_code == 400 and r.json()["error"] == "InvalidInvitation"


def test_codes_read_over_the_phone_are_accepted_with_spaces_dashes_and_lower_case(api: Api) -> None:
    root = api.setup()
    for n, spell in enumerate(
        (lambda c: c.lower().replace("-", " "), lambda c: c.replace("-", ""), lambda c: f"  {c.lower()} ")
    ):
        invitation = api.invite(root, f"phone{n}@example.org", "member")
        typed = spell(invitation["code"])
        r = api.client.post("/api/v1/invitations/accept", json={"code": typed, "password": STRONG})
        assert r.status_code == 200, (typed, r.json())


def test_a_mistyped_code_is_explained_not_called_used(api: Api) -> None:
    api.setup()
    r = api.client.post("/api/v1/invitations/accept", json={"code": "TQDW-XC3H-R2Q", "password": STRONG})
    assert r.status_code == 400 and r.json()["error"] == "InvalidInvitation"
    assert "12 letters and digits" in r.json()["detail"] and "already used" not in r.json()["detail"]


def test_weak_password_on_accept_creates_nothing(api: Api) -> None:
    root = api.setup()
    invitation = api.invite(root, "new@example.org", "member")
    r = api.client.post("/api/v1/invitations/accept", json={"code": invitation["code"], "password": "password1"})
    assert r.status_code == 400 and r.json()["error"] == "WeakPassword"
    assert (
        api.client.post("/api/v1/auth/login", json={"email": "new@example.org", "password": "password1"}).status_code
        == 401
    )
    assert api.client.get("/api/v1/invitations", headers=root.headers()).json()["total"] == 1


def test_existing_account_joins_second_org_with_its_own_password(api: Api) -> None:
    root = api.setup()
    api.add_member(root, "both@example.org", "analyst")
    beta = api.create_org(root, "Beta Office")
    invitation = api.invite(root, "both@example.org", "member", org=beta)
    bad = api.client.post(
        "/api/v1/invitations/accept", json={"code": invitation["code"], "password": "another-long-pass-1"}
    )
    assert bad.status_code == 400 and "current password" in bad.json()["detail"]
    ok = api.client.post("/api/v1/invitations/accept", json={"code": invitation["code"], "password": STRONG})
    assert ok.status_code == 200
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {ok.json()['access_token']}"}).json()
    assert sorted((m["org"]["slug"], m["role"]) for m in me["memberships"]) == sorted(
        [(root.org_slug, "analyst"), (beta, "member")]
    )


def test_duplicate_invites_and_members_conflict(api: Api) -> None:
    root = api.setup()
    api.invite(root, "dup@example.org", "member")
    r = api.client.post(
        "/api/v1/invitations", json={"email": "dup@example.org", "role": "member"}, headers=root.headers()
    )
    assert r.status_code == 409 and r.json()["error"] == "InvitationPending"
    r = api.client.post(
        "/api/v1/invitations", json={"email": "root@example.org", "role": "member"}, headers=root.headers()
    )
    assert r.status_code == 409 and r.json()["error"] == "AlreadyMember"


def test_nobody_invites_or_promotes_above_their_level(api: Api) -> None:
    root = api.setup()
    admin = api.add_member(root, "admin2@example.org", "admin")
    r = api.client.post(
        "/api/v1/invitations", json={"email": "s@example.org", "role": "super-admin"}, headers=admin.headers()
    )
    assert r.status_code == 403 and r.json()["error"] == "RoleTooHigh"
    analyst = api.add_member(root, "an@example.org", "analyst")
    r = api.client.post(
        "/api/v1/invitations", json={"email": "x@example.org", "role": "member"}, headers=analyst.headers()
    )
    assert r.status_code == 403 and "users:manage" in r.json()["detail"]
    r = api.client.patch(f"/api/v1/users/{api.user_id(analyst)}", json={"role": "super-admin"}, headers=admin.headers())
    assert r.status_code == 403


def test_own_role_cannot_change_and_last_admin_stays(api: Api) -> None:
    root = api.setup()
    admin = api.add_member(root, "admin2@example.org", "admin")
    admin_id = api.user_id(admin)
    r = api.client.patch(f"/api/v1/users/{admin_id}", json={"role": "member"}, headers=admin.headers())
    assert r.status_code == 403 and r.json()["error"] == "OwnRoleChange"
    root_id = api.user_id(root)
    # admin2 demotes root (both admins), then is the last admin
    assert (
        api.client.patch(f"/api/v1/users/{root_id}", json={"role": "analyst"}, headers=admin.headers()).status_code
        == 200
    )
    # root is still super-admin, so it may act; demoting the last admin is refused
    r = api.client.patch(f"/api/v1/users/{admin_id}", json={"role": "member"}, headers=root.headers())
    assert r.status_code == 409 and r.json()["error"] == "LastAdmin"
    r = api.client.delete(f"/api/v1/users/{admin_id}", headers=root.headers())
    assert r.status_code == 409
    members = {m["email"]: m["role"] for m in api.client.get("/api/v1/users", headers=root.headers()).json()["items"]}
    assert members["admin2@example.org"] == "admin"


def test_remove_member_cuts_access_to_the_org(api: Api) -> None:
    root = api.setup()
    member = api.add_member(root, "gone@example.org", "analyst")
    assert api.client.get("/api/v1/users", headers=member.headers()).status_code == 200
    assert api.client.delete(f"/api/v1/users/{api.user_id(member)}", headers=root.headers()).status_code == 204
    r = api.client.get("/api/v1/users", headers=member.headers())
    assert r.status_code == 404
    audit = api.client.get("/api/v1/audit", headers=root.headers(), params={"action": "user.removed"}).json()
    assert audit["items"][0]["target"] == "gone@example.org"


def test_member_role_sees_content_only(api: Api) -> None:
    root = api.setup()
    member = api.add_member(root, "viewer@example.org", "member")
    assert api.client.get("/api/v1/users", headers=member.headers()).status_code == 403
    assert api.client.get("/api/v1/audit", headers=member.headers()).status_code == 403
    assert api.client.get("/api/v1/me", headers=member.headers()).status_code == 200


def test_only_super_admin_creates_orgs_and_org_list_follows_membership(api: Api) -> None:
    root = api.setup()
    admin = api.add_member(root, "admin2@example.org", "admin")
    r = api.client.post("/api/v1/orgs", json={"name": "Gamma"}, headers=admin.headers())
    assert r.status_code == 403
    beta = api.create_org(root, "Beta Office")
    assert beta == "beta-office"
    assert api.create_org(root, "Beta Office") == "beta-office-2"
    assert [o["slug"] for o in api.client.get("/api/v1/orgs", headers=admin.headers()).json()["items"]] == [
        root.org_slug
    ]
    assert api.client.get("/api/v1/orgs", headers=root.headers()).json()["total"] == 3


def test_org_header_missing_or_unknown_is_a_clear_404(api: Api) -> None:
    root = api.setup()
    r = api.client.get("/api/v1/users", headers={"Authorization": f"Bearer {root.access_token}"})
    assert r.status_code == 404 and "X-Dalgo-Org" in r.json()["detail"]
    r = api.client.get("/api/v1/users", headers=root.headers("no-such-org"))
    assert r.status_code == 404 and "no-such-org" in r.json()["detail"]
