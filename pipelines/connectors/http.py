"""Shared HTTP client for API connectors: retries with backoff, honours Retry-After, plain-language errors."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from pipelines.connectors.base import ReadContext
from pipelines.errors import AuthError, TerminalError, TransientError
from pipelines.netpolicy import NetworkPolicy

RETRYABLE = {429, 500, 502, 503, 504}


class ApiClient:
    """A thin httpx wrapper; `service` names the remote system in error messages ("KoboToolbox")."""

    def __init__(
        self,
        service: str,
        base_url: str,
        ctx: ReadContext,
        *,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        auth_hint: str = "edit the source and check its credentials",
        transport: httpx.BaseTransport | None = None,
        backoff_base: float = 0.5,
    ) -> None:
        self.service = service
        self.ctx = ctx
        self.auth_hint = auth_hint
        self.backoff_base = backoff_base
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers or {},
            auth=auth,
            timeout=ctx.http_timeout,
            transport=transport or guarded_transport(ctx.network, service),
            follow_redirects=True,
            # httpx calls request hooks for every hop of a redirect, so each hop's address is checked too.
            event_hooks={"request": [self._check_address]},
        )

    def _check_address(self, request: httpx.Request) -> None:
        self.ctx.network.check_host(request.url.host, request.url.port, service=self.service)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET with retries; returns decoded JSON or raises TerminalError/TransientError."""
        response = self.request("GET", url, params=params)
        try:
            return response.json()
        except ValueError as err:
            raise TerminalError(
                f"{self.service} answered {url} with something that is not JSON",
                hint="check the server URL points at the API",
            ) from err

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            self.ctx.check_cancelled()
            try:
                return self._once(method, url, **kwargs)
            except TransientError as err:
                attempt += 1
                if attempt > self.ctx.max_retries:
                    raise TransientError(
                        f"{self.service} kept failing after {attempt} attempts: {err.message}",
                        hint="try again later; the server may be overloaded or offline",
                    ) from err
                self._sleep(err.retry_after or self.backoff_base * 2 ** (attempt - 1))

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + min(seconds, 120.0)
        while time.monotonic() < deadline:
            self.ctx.check_cancelled()
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TransportError as err:  # timeouts, refused connections, dropped keep-alives
            raise TransientError(f"could not reach {self.service} ({type(err).__name__})") from err
        if response.status_code in (401, 403):
            raise AuthError(
                f"{self.service} rejected the credentials (HTTP {response.status_code})", hint=self.auth_hint
            )
        if response.status_code in RETRYABLE:
            raise TransientError(
                f"{self.service} answered HTTP {response.status_code}",
                retry_after=_retry_after(response),
            )
        if response.status_code == 404:
            raise TerminalError(
                f"{self.service} has nothing at {response.url.path} (HTTP 404)",
                hint="check the URL, form or project id",
            )
        if response.status_code >= 400:
            raise TerminalError(
                f"{self.service} refused the request (HTTP {response.status_code}): {response.text[:200]}"
            )
        return response


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def guarded_transport(policy: NetworkPolicy, service: str) -> httpx.HTTPTransport:
    """An HTTP transport that connects only to addresses the policy allows, checked at connect time."""
    transport = httpx.HTTPTransport()
    if not policy.allow_private:
        # httpx has no public hook for the socket layer; httpcore's pool takes a network backend.
        transport._pool._network_backend = _CheckedBackend(policy, service)
    return transport


class _CheckedBackend(httpcore.SyncBackend):
    """Resolves once, checks every answer, and connects to a checked address (no second, rebindable lookup)."""

    def __init__(self, policy: NetworkPolicy, service: str) -> None:
        self.policy = policy
        self.service = service

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.policy.check_host(host, port, service=self.service) or [host]
        for address in addresses[:-1]:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue
        return super().connect_tcp(addresses[-1], port, timeout, local_address, socket_options)
