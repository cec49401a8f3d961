"""Sign-in, tokens, passwords and first-run setup, through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from tests.server.factories import STRONG, Api


def test_first_run_setup_creates_super_admin_and_org_once(api: Api) -> None:
    assert api.client.get("/api/v1/setup").json()["needs_setup"] is True
    root = api.setup()
    me = api.client.get("/api/v1/me", headers=root.headers()).json()
    assert me["is_superuser"] is True
    assert me["memberships"][0]["org"]["name"] == "Alpha Office"
    again = api.client.post("/api/v1/setup", json={"email": "x@example.org", "password": STRONG, "org_name": "X"})
    assert again.status_code == 409
    assert again.json()["error"] == "AlreadySetUp"
    assert api.client.get("/api/v1/setup").json()["needs_setup"] is False


def test_wrong_password_is_401_with_a_readable_message(api: Api) -> None:
    api.setup()
    r = api.client.post("/api/v1/auth/login", json={"email": "root@example.org", "password": "wrong-one"})
    assert r.status_code == 401
    assert r.json() == {"error": "InvalidCredentials", "detail": "The email or password is not right."}


def test_email_is_case_insensitive(api: Api) -> None:
    api.setup()
    assert api.login("ROOT@Example.org").access_token


def test_repeated_failures_lock_the_account_even_for_the_right_password(api: Api) -> None:
    api.setup()
    for _ in range(5):
        api.client.post("/api/v1/auth/login", json={"email": "root@example.org", "password": "bad-password"})
    r = api.client.post("/api/v1/auth/login", json={"email": "root@example.org", "password": STRONG})
    assert r.status_code == 429
    assert r.json()["error"] == "AccountLocked"
    assert "Try again in 15 minutes" in r.json()["detail"]
    assert int(r.headers["Retry-After"]) > 0


def test_refresh_rotates_and_reuse_ends_the_session(api: Api) -> None:
    root = api.setup()
    first = api.client.post("/api/v1/auth/refresh", json={"refresh_token": root.refresh_token})
    assert first.status_code == 200
    new_pair = first.json()
    assert new_pair["refresh_token"] != root.refresh_token
    reuse = api.client.post("/api/v1/auth/refresh", json={"refresh_token": root.refresh_token})
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    # the theft response revoked the session: the newer pair is dead too
    assert api.client.post("/api/v1/auth/refresh", json={"refresh_token": new_pair["refresh_token"]}).status_code == 401
    r = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {new_pair['access_token']}"})
    assert r.status_code == 401


def test_logout_revokes_the_access_token_at_once(api: Api) -> None:
    root = api.setup()
    assert api.client.post("/api/v1/auth/logout", headers=root.headers()).status_code == 204
    r = api.client.get("/api/v1/me", headers=root.headers())
    assert r.status_code == 401
    assert "ended" in r.json()["detail"]
    assert api.client.post("/api/v1/auth/refresh", json={"refresh_token": root.refresh_token}).status_code == 401


def test_expired_and_forged_tokens_are_rejected(api: Api) -> None:
    root = api.setup()
    app = api.client.app
    secret = app.state.settings.resolved_secret_key()  # type: ignore[attr-defined]
    claims = jwt.decode(root.access_token, secret, algorithms=["HS256"])
    claims["exp"] = datetime.now(UTC) - timedelta(minutes=1)
    expired = jwt.encode(claims, secret, algorithm="HS256")
    r = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    forged = jwt.encode(
        {**claims, "exp": datetime.now(UTC) + timedelta(minutes=5)},
        "not-the-key-but-long-enough-for-hmac-sha256",
        algorithm="HS256",
    )
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert api.client.get("/api/v1/me").json()["error"] == "Unauthorized"


def test_change_password_checks_current_and_strength_and_ends_other_sessions(api: Api) -> None:
    root = api.setup()
    other = api.login(root.email)
    url = "/api/v1/auth/change-password"
    wrong = api.client.post(
        url, json={"current_password": "nope", "new_password": "blue-river-stone-91"}, headers=root.headers()
    )
    assert wrong.status_code == 401
    weak = api.client.post(
        url, json={"current_password": STRONG, "new_password": "password123"}, headers=root.headers()
    )
    assert weak.status_code == 400 and weak.json()["error"] == "WeakPassword"
    short = api.client.post(url, json={"current_password": STRONG, "new_password": "short"}, headers=root.headers())
    assert "at least 10 characters" in short.json()["detail"]
    ok = api.client.post(
        url, json={"current_password": STRONG, "new_password": "blue-river-stone-91"}, headers=root.headers()
    )
    assert ok.status_code == 204
    assert api.client.get("/api/v1/me", headers=root.headers()).status_code == 200
    assert api.client.get("/api/v1/me", headers=other.headers()).status_code == 401
    assert api.login(root.email, "blue-river-stone-91").access_token


def test_admin_issued_reset_code_works_once(api: Api) -> None:
    root = api.setup()
    member = api.add_member(root, "field@example.org", "analyst")
    member_id = api.user_id(member)
    r = api.client.post(f"/api/v1/users/{member_id}/password-reset", headers=root.headers())
    assert r.status_code == 201
    token = r.json()["token"]
    reset = {"token": token, "new_password": "green-mango-tree-44"}
    assert api.client.post("/api/v1/auth/password-reset", json=reset).status_code == 204
    again = api.client.post("/api/v1/auth/password-reset", json={**reset, "new_password": "other-mango-tree-45"})
    assert again.status_code == 400 and again.json()["error"] == "InvalidResetToken"
    assert api.client.get("/api/v1/me", headers=member.headers()).status_code == 401  # old sessions ended
    assert api.login("field@example.org", "green-mango-tree-44").access_token


def test_reset_request_without_mail_server_explains_the_admin_route(api: Api) -> None:
    api.setup()
    r = api.client.post("/api/v1/auth/password-reset/request", json={"email": "root@example.org"})
    assert r.status_code == 202
    assert "Ask an admin" in r.json()["detail"]


def test_malformed_json_and_missing_fields_are_clear(api: Api) -> None:
    r = api.client.post("/api/v1/auth/login", content=b'{"email": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "MalformedJSON"
    r = api.client.post("/api/v1/auth/login", json={"email": "not-an-email"})
    assert r.status_code == 422
    assert "email" in r.json()["detail"] and "password" in r.json()["detail"]


def test_health_reports_version_mode_and_database(api: Api) -> None:
    body = api.client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["mode"] in {"embedded", "hosted"} and body["version"]
    assert api.client.get("/api/v1/health").status_code == 200
