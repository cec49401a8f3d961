"""No user file takes the server down: bombs and odd names get a plain 4xx, and every org keeps its service."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pipelines.connectors.base import ReadContext
from pipelines.limited import resident_mb
from server.core.config import Settings
from server.main import create_app
from server.sources.service import SourceService
from tests.pipelines.test_file_limits import UNCHECKED
from tests.pipelines.xlsx_bombs import shared_string_bomb
from tests.server.factories import Actor, Api


@pytest.fixture
def hosted(tmp_path: Path) -> Iterator[Api]:
    """A hosted server (SQLite app DB): file check/discover run in a child capped at 1,024 MB."""
    settings = Settings(home=tmp_path / "hosted", mode="hosted", parse_memory_limit_mb=1024)
    assert settings.file_parsing_isolated
    with TestClient(create_app(settings, run_migrations=True)) as client:
        yield Api(client)


def file_source(api: Api, actor: Actor, name: str, content: bytes, kind: str, org: str | None = None) -> str:
    headers = actor.headers(org)
    r = api.client.post("/api/v1/uploads", files={"file": (name, content)}, headers=headers)
    assert r.status_code == 201, r.text
    config = {"upload_id": r.json()["id"]}
    r = api.client.post("/api/v1/sources", json={"name": name, "type": kind, "config": config}, headers=headers)
    assert r.status_code == 201, r.text
    source_id: str = r.json()["id"]
    return source_id


def discover(api: Api, actor: Actor, source_id: str, org: str | None = None) -> Any:
    return api.client.post(f"/api/v1/sources/{source_id}/discover", headers=actor.headers(org))


def still_serving(api: Api, actor: Actor, org: str, source_id: str) -> None:
    """/health answers, and another org's file still discovers."""
    assert api.client.get("/health").status_code == 200
    r = discover(api, actor, source_id, org)
    assert r.status_code == 200, r.text
    assert [c["name"] for c in r.json()["streams"][0]["columns"]] == ["village", "households"]


VILLAGES = b"village,households\nKisumu,120\nNyeri,80\n"


@pytest.mark.parametrize("name", [".", "..", "...", "/", "../..", "\\..", " . "])
def test_an_upload_named_only_dots_or_slashes_is_a_plain_400(api: Api, name: str) -> None:
    admin = api.setup()
    r = api.client.post("/api/v1/uploads", files={"file": (name, b"a,b\n1,2\n")}, headers=admin.headers())
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "InvalidUpload"
    assert "not a usable file name" in r.json()["detail"] and "rename the file" in r.json()["detail"]


def test_an_upload_named_with_a_leading_dot_is_kept_visible_to_its_source(api: Api) -> None:
    admin = api.setup()
    r = api.client.post("/api/v1/uploads", files={"file": (".villages.csv", VILLAGES)}, headers=admin.headers())
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "villages.csv"
    config = {"upload_id": r.json()["id"]}
    source = api.client.post(
        "/api/v1/sources", json={"name": "Villages", "type": "csv", "config": config}, headers=admin.headers()
    ).json()
    assert discover(api, admin, source["id"]).status_code == 200


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" + '{"a":' * 10_000 + "1" + "}" * 10_000 + "]"),
        ("deep.ndjson", '{"id": 1}\n' + '{"a":' * 10_000 + "1" + "}" * 10_000 + "\n"),
    ],
)
def test_json_nested_ten_thousand_deep_is_a_plain_400(api: Api, name: str, text: str) -> None:
    admin = api.setup()
    source_id = file_source(api, admin, name, text.encode(), "json")
    r = discover(api, admin, source_id)
    assert r.status_code == 400, r.text
    assert f"File '{name}'" in r.json()["detail"] and "more than 64 levels" in r.json()["detail"]
    assert api.client.get("/health").status_code == 200


def test_the_workbook_bomb_is_refused_on_a_hosted_server_and_nobody_else_notices(hosted: Api, tmp_path: Path) -> None:
    admin = hosted.setup()
    other = hosted.create_org(admin, "Beta Office")
    theirs = file_source(hosted, admin, "villages.csv", VILLAGES, "csv", org=other)
    mine = file_source(hosted, admin, "villages.csv", VILLAGES, "csv")
    assert discover(hosted, admin, mine).status_code == 200
    bomb = shared_string_bomb(tmp_path / "survey.xlsx", chars=100_000_000, rows=2000).read_bytes()
    bomb_id = file_source(hosted, admin, "survey.xlsx", bomb, "excel")

    r = discover(hosted, admin, bomb_id)
    assert r.status_code == 400, r.text
    assert "'survey.xlsx'" in r.json()["detail"] and "200x" in r.json()["detail"]
    check = hosted.client.post(f"/api/v1/sources/{bomb_id}/check", headers=admin.headers()).json()
    assert check["ok"] is False and "'survey.xlsx'" in check["message"]

    still_serving(hosted, admin, other, theirs)
    kept = hosted.client.get(f"/api/v1/sources/{mine}", headers=admin.headers()).json()
    assert kept["catalog"][0]["columns"][0]["name"] == "village"  # what the org had is still there


def test_an_unforeseen_bomb_kills_only_the_limited_child(
    hosted: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pre-checks are switched off, so only the child's memory cap stands between the file and the server
    original = SourceService.read_context

    def unchecked(self: SourceService, ctx: Any) -> ReadContext:
        return dataclasses.replace(original(self, ctx), file_limits=UNCHECKED)

    monkeypatch.setattr(SourceService, "read_context", unchecked)
    admin = hosted.setup()
    other = hosted.create_org(admin, "Beta Office")
    theirs = file_source(hosted, admin, "villages.csv", VILLAGES, "csv", org=other)
    bomb = shared_string_bomb(tmp_path / "survey.xlsx", chars=100_000_000, rows=2000).read_bytes()
    bomb_id = file_source(hosted, admin, "survey.xlsx", bomb, "excel")
    before = resident_mb(os.getpid())

    r = discover(hosted, admin, bomb_id)
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("'survey.xlsx' needs more memory to read than this server allows (1,024 MB)")
    assert resident_mb(os.getpid()) - before < 512  # read in this process, it would have taken gigabytes
    still_serving(hosted, admin, other, theirs)
