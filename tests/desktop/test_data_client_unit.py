"""DataApiMixin's streamed calls (log, export, upload) with httpx.MockTransport: token refresh, errors, cleanup."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from desktop.client import DalgoClient
from desktop.client import errors as e
from desktop.client.data_api import TransferCancelled
from desktop.client.models import TokenPair


def _client(handler: object) -> DalgoClient:
    client = DalgoClient("http://dalgo.test", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    client._tokens = TokenPair(access_token="old", refresh_token="r1")
    client.use_org("alpha")
    return client


def test_a_streamed_call_refreshes_an_expired_token_once_and_sends_the_org() -> None:
    seen: list[tuple[str, str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("Authorization", ""), request.headers.get("X-Dalgo-Org")))
        if request.url.path.endswith("/auth/refresh"):
            return httpx.Response(200, json={"access_token": "new", "refresh_token": "r2"})
        if request.headers["Authorization"] == "Bearer old":
            return httpx.Response(401, json={"error": "Unauthorized", "detail": "expired"})
        return httpx.Response(200, text="12:00 started\n12:01 succeeded\n")

    client = _client(handler)
    assert client.job_log("j1") == "12:00 started\n12:01 succeeded\n"
    assert [path for path, _a, _o in seen] == ["/api/v1/jobs/j1/log", "/api/v1/auth/refresh", "/api/v1/jobs/j1/log"]
    assert seen[-1][1:] == ("Bearer new", "alpha") and client.tokens.refresh_token == "r2"  # type: ignore[union-attr]


def test_an_export_error_is_the_servers_words_and_leaves_no_file(tmp_path: Path) -> None:
    body = {"error": "UnknownTable", "detail": "Table 'raw_x.t' does not exist in the warehouse"}
    client = _client(lambda _r: httpx.Response(404, json=body))
    with pytest.raises(e.NotFound) as err:
        client.export_table("raw_x", "t", "csv", tmp_path / "t.csv")
    assert err.value.detail == body["detail"] and list(tmp_path.iterdir()) == []


def test_an_export_streams_with_progress_and_its_params(tmp_path: Path) -> None:
    payload = b"id,name\n" + b"".join(b"%d,P%d\n" % (i, i) for i in range(50_000))
    asked: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        return httpx.Response(200, content=payload, headers={"content-length": str(len(payload))})

    progress: list[tuple[int, int | None]] = []
    filters = [{"column": "id", "op": "lt", "value": 10}]
    out = _client(handler).export_table("raw_x", "t", "csv", tmp_path / "t.csv", sort="-id", filters=filters,
                                        progress=lambda d, t: progress.append((d, t)))  # fmt: skip
    assert out.read_bytes() == payload and progress[-1] == (len(payload), len(payload))
    params = asked[0].params
    assert params["format"] == "csv" and params["sort"] == "-id" and json.loads(params["filters"]) == filters


def test_a_cancelled_upload_sends_nothing_more(tmp_path: Path) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        calls.append(request.url.path)
        return httpx.Response(201, json={"id": "u1", "filename": "a.csv", "size": 3})

    path = tmp_path / "a.csv"
    path.write_text("a,b\n")
    with pytest.raises(TransferCancelled):
        _client(handler).upload_file(path, cancelled=lambda: True)
    assert calls == []
