"""DalgoClient: a synchronous, typed client for the Dalgo HTTP API (called from worker threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from desktop.client.data_api import DataApiMixin
from desktop.client.errors import ApiError, ServerUnreachable, SessionExpired, make_error, unreachable
from desktop.client.models import (
    AcceptResult,
    AuditEvent,
    Health,
    Invitation,
    Me,
    Member,
    Org,
    Page,
    ResetCode,
    SetupStatus,
    TokenPair,
)
from desktop.client.pipelines_api import PipelinesApiMixin
from desktop.client.transform_api import TransformApiMixin

API = "/api/v1"
ORG_HEADER = "X-Dalgo-Org"
M = TypeVar("M", bound=BaseModel)
TokenListener = Callable[[TokenPair | None], None]


class DalgoClient(DataApiMixin, TransformApiMixin, PipelinesApiMixin):
    """One server, one signed-in user. Thread-safe: a 401 is answered by one token refresh, shared by all calls."""

    def __init__(self, base_url: str, transport: httpx.BaseTransport | None = None, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)
        self._tokens: TokenPair | None = None
        self._org: str | None = None
        self._refresh_lock = threading.Lock()
        self.on_tokens: TokenListener | None = None

    # --- session plumbing --------------------------------------------------------------------------
    @property
    def tokens(self) -> TokenPair | None:
        return self._tokens

    @property
    def org(self) -> str | None:
        return self._org

    def use_org(self, slug: str | None) -> None:
        """Send `X-Dalgo-Org: slug` with every org-scoped call from now on."""
        self._org = slug

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DalgoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def adopt(self, tokens: TokenPair) -> None:
        """Act with tokens obtained elsewhere (e.g. to end that sign-in with `logout`)."""
        self._set_tokens(tokens)

    def _set_tokens(self, tokens: TokenPair | None) -> None:
        self._tokens = tokens
        if self.on_tokens is not None:
            self.on_tokens(tokens)

    def _send(self, method: str, path: str, *, auth: bool, org: str | None = None, **kwargs: Any) -> httpx.Response:
        headers: dict[str, str] = {}
        if auth:
            if self._tokens is None:
                raise SessionExpired("SessionExpired", "You are not signed in; sign in first.", 401)
            headers["Authorization"] = f"Bearer {self._tokens.access_token}"
        slug = org or self._org
        if slug:
            headers[ORG_HEADER] = slug
        try:
            return self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as err:
            raise unreachable(self.base_url, err) from err

    def _call(self, method: str, path: str, *, auth: bool = True, org: str | None = None, **kwargs: Any) -> Any:
        """Send a request; on 401 refresh the tokens once and retry; raise the mapped ApiError on failure."""
        used = self._tokens.access_token if (auth and self._tokens) else None
        response = self._send(method, path, auth=auth, org=org, **kwargs)
        if response.status_code == 401 and auth:
            self._refresh_after(used)
            response = self._send(method, path, auth=auth, org=org, **kwargs)
            if response.status_code == 401:
                self._set_tokens(None)
                raise SessionExpired("SessionExpired", _error_of(response).detail, 401)
        if response.is_error:
            raise _error_of(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _get(self, model: type[M], path: str, **kwargs: Any) -> M:
        return model.model_validate(self._call("GET", path, **kwargs))

    def _post(self, model: type[M], path: str, **kwargs: Any) -> M:
        return model.model_validate(self._call("POST", path, **kwargs))

    def _refresh_after(self, stale_access: str | None) -> None:
        """Renew the tokens unless another thread already did since `stale_access` was sent."""
        with self._refresh_lock:
            current = self._tokens
            if current is not None and current.access_token != stale_access:
                return
            if current is None:
                raise SessionExpired("SessionExpired", "You are not signed in; sign in first.", 401)
            self._rotate(current.refresh_token)

    def _rotate(self, refresh_token: str) -> TokenPair:
        try:
            pair = self._post(TokenPair, f"{API}/auth/refresh", auth=False, json={"refresh_token": refresh_token})
        except ApiError as err:
            if isinstance(err, ServerUnreachable) or err.status >= 500:
                raise  # the server may come back: keep the tokens
            self._set_tokens(None)
            raise SessionExpired("SessionExpired", err.detail, err.status) from err
        self._set_tokens(pair)
        return pair

    # --- public, no sign-in -----------------------------------------------------------------------
    def health(self) -> Health:
        return self._get(Health, "/health", auth=False)

    def setup_status(self) -> SetupStatus:
        return self._get(SetupStatus, f"{API}/setup", auth=False)

    def setup(self, email: str, password: str, org_name: str) -> TokenPair:
        """First run: create the first super-admin and organisation, and sign in as them."""
        body = {"email": email, "password": password, "org_name": org_name}
        pair = self._post(TokenPair, f"{API}/setup", auth=False, json=body)
        self._set_tokens(pair)
        return pair

    def login(self, email: str, password: str) -> TokenPair:
        pair = self._post(TokenPair, f"{API}/auth/login", auth=False, json={"email": email, "password": password})
        self._set_tokens(pair)
        return pair

    def resume(self, refresh_token: str) -> TokenPair:
        """Sign in again from a remembered refresh token (raises SessionExpired when it is no longer valid)."""
        with self._refresh_lock:
            return self._rotate(refresh_token)

    def request_password_reset(self, email: str) -> str:
        """Ask for a reset code by mail; returns the server's explanation (e.g. 'ask an admin')."""
        body = self._call("POST", f"{API}/auth/password-reset/request", auth=False, json={"email": email})
        return str((body or {}).get("detail", ""))

    def reset_password(self, token: str, new_password: str) -> None:
        self._call(
            "POST", f"{API}/auth/password-reset", auth=False, json={"token": token, "new_password": new_password}
        )

    def accept_invitation(self, code: str, password: str) -> AcceptResult:
        """Join an org with an invite code; signs in as the invited account."""
        result = self._post(
            AcceptResult, f"{API}/invitations/accept", auth=False, json={"code": code, "password": password}
        )
        self._set_tokens(TokenPair(**result.model_dump(exclude={"org_slug"})))
        return result

    # --- account ----------------------------------------------------------------------------------
    def logout(self) -> bool:
        """Revoke the session on the server (best effort) and forget the tokens; True when the server agreed."""
        if self._tokens is None:
            return False
        try:
            self._call("POST", f"{API}/auth/logout", json={"refresh_token": self._tokens.refresh_token})
            return True
        except ApiError:
            return False
        finally:
            self._set_tokens(None)
            self._org = None

    def change_password(self, current_password: str, new_password: str) -> None:
        body = {"current_password": current_password, "new_password": new_password}
        self._call("POST", f"{API}/auth/change-password", json=body)

    def me(self) -> Me:
        return self._get(Me, f"{API}/me")

    # --- orgs -------------------------------------------------------------------------------------
    def list_orgs(self) -> Page[Org]:
        return self._get(Page[Org], f"{API}/orgs")

    def create_org(self, name: str, slug: str | None = None) -> Org:
        body: dict[str, str] = {"name": name}
        if slug:
            body["slug"] = slug
        return self._post(Org, f"{API}/orgs", json=body)

    # --- members of the active org ----------------------------------------------------------------
    def list_users(self, *, org: str | None = None) -> Page[Member]:
        return self._get(Page[Member], f"{API}/users", org=org)

    def update_user_role(self, user_id: str, role: str, *, org: str | None = None) -> Member:
        return Member.model_validate(self._call("PATCH", f"{API}/users/{user_id}", org=org, json={"role": role}))

    def remove_user(self, user_id: str, *, org: str | None = None) -> None:
        self._call("DELETE", f"{API}/users/{user_id}", org=org)

    def issue_password_reset(self, user_id: str, *, org: str | None = None) -> ResetCode:
        return self._post(ResetCode, f"{API}/users/{user_id}/password-reset", org=org)

    def list_invitations(self, *, org: str | None = None) -> Page[Invitation]:
        return self._get(Page[Invitation], f"{API}/invitations", org=org)

    def create_invitation(self, email: str, role: str, *, org: str | None = None) -> Invitation:
        return self._post(Invitation, f"{API}/invitations", org=org, json={"email": email, "role": role})

    def cancel_invitation(self, invitation_id: str, *, org: str | None = None) -> None:
        self._call("DELETE", f"{API}/invitations/{invitation_id}", org=org)

    def list_audit(
        self, *, limit: int = 100, offset: int = 0, action: str | None = None, org: str | None = None
    ) -> Page[AuditEvent]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if action:
            params["action"] = action
        return self._get(Page[AuditEvent], f"{API}/audit", org=org, params=params)


def _error_of(response: httpx.Response) -> ApiError:
    """The ApiError a failed response stands for; a body that is not ours still gives a readable message."""
    retry_after = _int_or_none(response.headers.get("Retry-After"))
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return make_error(body["error"], str(body.get("detail") or body["error"]), response.status_code, retry_after)
    snippet = response.text.strip().replace("\n", " ")[:200]
    detail = f"The server answered {response.status_code} {response.reason_phrase}" + (
        f": {snippet}" if snippet else "."
    )
    return make_error(f"HTTP{response.status_code}", detail, response.status_code, retry_after)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
