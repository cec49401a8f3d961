"""DalgoClient error mapping and transport failures, with httpx.MockTransport standing in for a server."""

from __future__ import annotations

import socket

import httpx
import pytest

from desktop.client import DalgoClient
from desktop.client import errors as e
from desktop.client.models import TokenPair


def _client(handler: object) -> DalgoClient:
    return DalgoClient("http://dalgo.test", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def _reply(status: int, body: object = None, text: str | None = None, headers: dict[str, str] | None = None):
    def handler(_request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


def test_a_known_error_name_maps_to_its_class() -> None:
    client = _client(_reply(409, {"error": "LastAdmin", "detail": "This is the last admin."}))
    client._tokens = TokenPair(access_token="a", refresh_token="r")
    with pytest.raises(e.LastAdmin) as err:
        client.remove_user("u1")
    assert isinstance(err.value, e.Conflict) and err.value.detail == "This is the last admin."


def test_an_error_name_from_a_newer_server_falls_back_to_its_status_family() -> None:
    client = _client(_reply(404, {"error": "SourceNotFound", "detail": "No source with id 7."}))
    with pytest.raises(e.NotFound) as err:
        client.setup_status()
    assert err.value.name == "SourceNotFound" and err.value.detail == "No source with id 7."
    odd = _client(_reply(418, {"error": "Teapot", "detail": "short and stout"}))
    with pytest.raises(e.ApiError) as err2:
        odd.health()
    assert type(err2.value) is e.ApiError and err2.value.name == "Teapot"


def test_a_proxy_error_page_still_gives_a_readable_message() -> None:
    client = _client(_reply(502, text="<html>Bad gateway</html>"))
    with pytest.raises(e.ServerError) as err:
        client.health()
    assert err.value.status == 502 and "502" in err.value.detail and "Bad gateway" in err.value.detail


def test_retry_after_is_kept_on_account_locked() -> None:
    body = {"error": "AccountLocked", "detail": "Try again in 15 minutes."}
    client = _client(_reply(429, body, headers={"Retry-After": "900"}))
    with pytest.raises(e.AccountLocked) as err:
        client.login("a@example.org", "x")
    assert err.value.retry_after == 900


def test_no_server_listening_raises_server_unreachable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(e.ServerUnreachable) as err:
        DalgoClient(f"http://127.0.0.1:{port}", timeout=2).health()
    # In words, without the address or an errno: on this computer it is the app's own server
    assert "server on this computer is not answering" in err.value.detail
    assert "127.0.0.1" not in err.value.detail and "Errno" not in err.value.detail


def test_a_refused_refresh_ends_the_session_and_tells_listeners() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            return httpx.Response(401, json={"error": "InvalidRefreshToken", "detail": "This sign-in was ended."})
        return httpx.Response(401, json={"error": "Unauthorized", "detail": "expired"})

    client = _client(handler)
    seen: list[object] = []
    client.on_tokens = seen.append
    client._tokens = TokenPair(access_token="a", refresh_token="r")
    with pytest.raises(e.SessionExpired) as err:
        client.me()
    assert err.value.detail == "This sign-in was ended."
    assert client.tokens is None and seen == [None]


def test_a_server_error_during_refresh_keeps_the_tokens() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            return httpx.Response(503, json={"error": "InternalError", "detail": "busy"})
        return httpx.Response(401, json={"error": "Unauthorized", "detail": "expired"})

    client = _client(handler)
    client._tokens = TokenPair(access_token="a", refresh_token="r")
    with pytest.raises(e.ServerError):
        client.me()
    assert client.tokens is not None and client.tokens.refresh_token == "r"


def test_org_header_comes_from_use_org_or_the_call() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Dalgo-Org"))
        return httpx.Response(200, json={"items": [], "total": 0})

    client = _client(handler)
    client._tokens = TokenPair(access_token="a", refresh_token="r")
    client.use_org("alpha")
    client.list_users()
    client.list_users(org="beta")
    assert seen == ["alpha", "beta"]
