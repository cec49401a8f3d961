"""A hosted server does not let an org point a source or its warehouse at the server's own or private network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.core.config import Settings
from server.main import create_app
from tests.fakes.kobo import TOKEN, KoboFake
from tests.fakes.server import serve_app
from tests.server.conftest import _postgres_or_skip
from tests.server.factories import Actor, Api

REFUSED = "This server does not connect to private or local addresses (127.0.0.1 is the server itself)"
PG_WAREHOUSE = {"host": "127.0.0.1", "port": 5432, "dbname": "postgres", "user": "postgres"}


@pytest.fixture(scope="module")
def kobo_url() -> Iterator[str]:
    with serve_app(KoboFake(3).app()) as server:
        yield server.url


def _api(home: Path, **settings: Any) -> Iterator[Api]:
    with TestClient(create_app(Settings(home=home, **settings), run_migrations=True)) as client:
        yield Api(client)


@pytest.fixture
def hosted(tmp_path: Path) -> Iterator[Api]:
    yield from _api(tmp_path / "home", mode="hosted")


@pytest.fixture
def hosted_allowing_loopback(tmp_path: Path) -> Iterator[Api]:
    yield from _api(tmp_path / "home", mode="hosted", allowed_private_hosts="127.0.0.1/32")  # as the env var gives it


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Api]:
    yield from _api(tmp_path / "home", mode="embedded")


def _check_kobo(api: Api, admin: Actor, url: str) -> dict[str, Any]:
    config = {"server_url": url, "api_token": TOKEN}
    r = api.client.post(
        "/api/v1/sources", json={"name": "Household", "type": "kobotoolbox", "config": config}, headers=admin.headers()
    )
    assert r.status_code == 201, r.text
    check = api.client.post(f"/api/v1/sources/{r.json()['id']}/check", headers=admin.headers())
    assert check.status_code == 200, check.text
    body: dict[str, Any] = check.json()
    return body


def test_hosted_server_refuses_a_kobo_source_on_its_own_address(hosted: Api, kobo_url: str) -> None:
    result = _check_kobo(hosted, hosted.setup(), kobo_url)
    assert result["ok"] is False
    assert REFUSED in result["message"]
    assert (
        result["hint"] == "use the public address of your KoboToolbox server, or ask the server's operator to allow it"
    )


def test_the_allow_list_lets_a_hosted_server_reach_a_named_private_address(
    hosted_allowing_loopback: Api, kobo_url: str
) -> None:
    api = hosted_allowing_loopback
    assert _check_kobo(api, api.setup(), kobo_url)["ok"] is True


def test_the_desktop_reaches_a_kobo_server_on_its_own_machine(desktop: Api, kobo_url: str) -> None:
    assert _check_kobo(desktop, desktop.setup(), kobo_url)["ok"] is True


def _put_warehouse(api: Api, admin: Actor) -> tuple[int, dict[str, Any]]:
    r = api.client.put("/api/v1/warehouse", json={"kind": "postgres", "config": PG_WAREHOUSE}, headers=admin.headers())
    return r.status_code, r.json()


def test_hosted_org_cannot_point_its_warehouse_at_the_servers_own_postgres(hosted: Api) -> None:
    admin = hosted.setup()
    status, body = _put_warehouse(hosted, admin)
    assert status == 400
    assert body["error"] == "BadWarehouseRequest" and REFUSED in body["detail"]
    assert hosted.client.get("/api/v1/warehouse", headers=admin.headers()).json()["kind"] == "duckdb"


def test_a_warehouse_on_an_allowed_private_address_is_accepted(hosted_allowing_loopback: Api) -> None:
    _postgres_or_skip()
    api = hosted_allowing_loopback
    status, body = _put_warehouse(api, api.setup())
    assert status == 200, body
    assert body["kind"] == "postgres"
