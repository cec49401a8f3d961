"""Typed helpers that make what a test needs through the real API, and say what they made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

STRONG = "nairobi-water-77"


@dataclass
class Actor:
    email: str
    password: str
    access_token: str
    refresh_token: str
    org_slug: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self, org: str | None = None) -> dict[str, str]:
        slug = org if org is not None else self.org_slug
        headers = {"Authorization": f"Bearer {self.access_token}", **self.extra_headers}
        if slug:
            headers["X-Dalgo-Org"] = slug
        return headers


class Api:
    """A TestClient with verbs for the setup steps tests repeat."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def setup(self, email: str = "root@example.org", org_name: str = "Alpha Office") -> Actor:
        r = self.client.post("/api/v1/setup", json={"email": email, "password": STRONG, "org_name": org_name})
        assert r.status_code == 201, r.text
        tokens = r.json()
        me = self.client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
        return Actor(
            email, STRONG, tokens["access_token"], tokens["refresh_token"], me["memberships"][0]["org"]["slug"]
        )

    def login(self, email: str, password: str = STRONG, org_slug: str | None = None) -> Actor:
        r = self.client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return Actor(email, password, r.json()["access_token"], r.json()["refresh_token"], org_slug)

    def create_org(self, admin: Actor, name: str) -> str:
        r = self.client.post("/api/v1/orgs", json={"name": name}, headers=admin.headers())
        assert r.status_code == 201, r.text
        slug: str = r.json()["slug"]
        return slug

    def invite(self, admin: Actor, email: str, role: str, org: str | None = None) -> dict[str, Any]:
        r = self.client.post("/api/v1/invitations", json={"email": email, "role": role}, headers=admin.headers(org))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def add_member(self, admin: Actor, email: str, role: str, org: str | None = None) -> Actor:
        """Invite and accept; returns the new member signed in with the org selected."""
        invitation = self.invite(admin, email, role, org)
        r = self.client.post("/api/v1/invitations/accept", json={"code": invitation["code"], "password": STRONG})
        assert r.status_code == 200, r.text
        body = r.json()
        return Actor(email, STRONG, body["access_token"], body["refresh_token"], body["org_slug"])

    def user_id(self, actor: Actor) -> str:
        user_id: str = self.client.get("/api/v1/me", headers=actor.headers()).json()["id"]
        return user_id
