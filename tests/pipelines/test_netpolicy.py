"""A hosted server's connectors refuse loopback, private and link-local addresses; the desktop's do not."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route

from pipelines.connectors import get_connector
from pipelines.connectors.base import ReadContext
from pipelines.connectors.http import ApiClient
from pipelines.connectors.kobo import KoboConnector
from pipelines.connectors.postgres import PostgresConnector
from pipelines.netpolicy import AddressRefused, NetworkPolicy
from tests.fakes.kobo import TOKEN, KoboFake
from tests.fakes.server import serve_app

HOSTED = NetworkPolicy(allow_private=False)


def ctx(network: NetworkPolicy) -> ReadContext:
    return ReadContext(network=network, max_retries=0)


class Listener:
    """A bare TCP socket that only counts whether anything connected to it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"

    def was_reached(self) -> bool:
        try:
            self.sock.accept()[0].close()
        except BlockingIOError:
            return False
        return True


@pytest.fixture
def listener() -> Iterator[Listener]:
    lis = Listener()
    yield lis
    lis.sock.close()


@pytest.fixture
def kobo_url() -> Iterator[str]:
    with serve_app(KoboFake(3).app()) as server:
        yield server.url


CONFIGS: dict[str, Callable[[str], dict[str, Any]]] = {
    "kobotoolbox": lambda url: {"server_url": url, "api_token": "t"},
    "odk_central": lambda url: {"server_url": url, "project_id": 7, "auth_method": "token", "token": "t"},
    "commcare": lambda url: {"base_url": url, "domain": "d", "username": "u", "api_key": "k"},
    "surveycto": lambda url: {"server": "myorg", "base_url": url, "username": "u", "password": "p"},
    "google_sheets": lambda url: {
        "spreadsheet": "https://docs.google.com/spreadsheets/d/abc/edit#gid=0",
        "tabs": [{"name": "Sheet1", "gid": 0}],
        "export_base_url": url,
    },
    "rest_api": lambda url: {
        "base_url": url,
        "auth": {"type": "none"},
        "pagination": {"type": "none"},
        "streams": [{"name": "people", "path": "/people", "records_path": "items"}],
    },
}


@pytest.mark.parametrize("connector_type", sorted(CONFIGS))
def test_every_http_connector_refuses_the_servers_own_address_when_hosted(
    connector_type: str, listener: Listener
) -> None:
    with pytest.raises(AddressRefused) as refused:
        get_connector(connector_type).check(CONFIGS[connector_type](listener.url), ctx(HOSTED))
    assert "This server does not connect to private or local addresses (127.0.0.1 is the server itself)" in str(
        refused.value
    )
    assert "or ask the server's operator to allow it" in str(refused.value)
    assert not listener.was_reached()


def test_kobo_on_loopback_works_on_the_desktop_is_refused_hosted_and_allowed_by_the_list(kobo_url: str) -> None:
    config = {"server_url": kobo_url, "api_token": TOKEN}
    KoboConnector().check(config, ctx(NetworkPolicy(allow_private=True)))
    with pytest.raises(AddressRefused) as refused:
        KoboConnector().check(config, ctx(HOSTED))
    assert str(refused.value) == (
        "This server does not connect to private or local addresses (127.0.0.1 is the server itself) → "
        "use the public address of your KoboToolbox server, or ask the server's operator to allow it"
    )
    KoboConnector().check(config, ctx(NetworkPolicy(allow_private=False, allowed=("127.0.0.1/32",))))


def test_a_host_name_is_resolved_and_checked(kobo_url: str) -> None:
    config = {"server_url": kobo_url.replace("127.0.0.1", "localhost"), "api_token": TOKEN}
    with pytest.raises(AddressRefused):
        KoboConnector().check(config, ctx(HOSTED))
    KoboConnector().check(config, ctx(NetworkPolicy(allow_private=False, allowed=("localhost",))))


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("0.0.0.0", "0.0.0.0 is the server itself"),
        ("::", ":: is the server itself"),
        ("::1", "::1 is the server itself"),
        ("::ffff:127.0.0.1", "127.0.0.1 is the server itself"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("::ffff:192.168.1.10", "192.168.1.10 is a private address"),
        ("fd00::5", "fd00::5 is a private address"),
        ("100.64.0.1", "100.64.0.1 is not a public address"),
    ],
)
def test_every_kind_of_non_public_address_is_refused(host: str, why: str) -> None:
    with pytest.raises(AddressRefused, match=re.escape(f"({why})")):
        HOSTED.check_host(host, 80, service="ODK Central")


def test_an_allowed_cidr_covers_ipv4_mapped_answers_but_not_its_neighbours() -> None:
    policy = NetworkPolicy(allow_private=False, allowed=("10.20.0.0/16",))
    assert policy.check_host("10.20.3.4", 443, service="x") == ["10.20.3.4"]
    assert policy.check_host("::ffff:10.20.3.4", 443, service="x") == ["::ffff:a14:304"]
    with pytest.raises(AddressRefused):
        policy.check_host("10.21.0.1", 443, service="x")


def test_a_unix_socket_path_is_refused_as_a_host() -> None:
    with pytest.raises(AddressRefused, match="local sockets"):
        HOSTED.check_host("/var/run/postgresql", 5432, service="Postgres")


def test_one_private_answer_among_public_ones_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443)) for ip in ("93.184.215.14", "127.0.0.1")]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1 is the server itself"):
        HOSTED.check_host("kobo.example.org", 443, service="KoboToolbox")


def test_a_redirect_from_an_allowed_address_to_a_refused_one_is_not_followed() -> None:
    """Allowed: only 127.0.0.1. The redirect target 127.0.0.2 is loopback too, but not on the list."""
    target = Listener("127.0.0.2")

    async def bounce(_request: Any) -> RedirectResponse:
        return RedirectResponse(f"{target.url}/api/v2/assets/", status_code=302)

    app = Starlette(routes=[Route("/api/v2/assets/", bounce)])
    policy = NetworkPolicy(allow_private=False, allowed=("127.0.0.1/32",))
    try:
        with (
            serve_app(app) as server,
            ApiClient("KoboToolbox", server.url, ctx(policy)) as api,
            pytest.raises(AddressRefused, match=r"127\.0\.0\.2 is the server itself"),
        ):
            api.get_json("/api/v2/assets/")
        assert not target.was_reached()
    finally:
        target.sock.close()


def test_an_answer_that_changes_between_check_and_connect_is_checked_again(
    kobo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name looks public when first checked and points at the server when connecting."""
    real = socket.getaddrinfo
    port = int(kobo_url.rsplit(":", 1)[1])
    lookups: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "kobo.example.org":
            return real(host, *args, **kwargs)
        lookups.append(host)
        ip = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    config = {"server_url": f"http://kobo.example.org:{port}", "api_token": TOKEN}
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1 is the server itself"):
        KoboConnector().check(config, ctx(HOSTED))
    assert len(lookups) == 2


def test_postgres_source_on_loopback_is_refused_hosted_and_allowed_by_the_list(pg_database: str) -> None:
    config = {"host": "127.0.0.1", "port": 5432, "database": pg_database.rsplit("/", 1)[1], "user": "postgres"}
    PostgresConnector().check(config, ctx(NetworkPolicy(allow_private=True)))
    with pytest.raises(AddressRefused, match="your Postgres server"):
        PostgresConnector().check(config, ctx(HOSTED))
    PostgresConnector().check(config, ctx(NetworkPolicy(allow_private=False, allowed=("127.0.0.0/8",))))
