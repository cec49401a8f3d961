"""Generic REST JSON connector against the fake API in tests/fakes/rest.py (real HTTP, uvicorn in a thread)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pytest

from pipelines.connectors import get_connector
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.rest import RestApiConnector
from pipelines.duckdb_conn import connect
from pipelines.errors import AuthError, BadInputError, Cancelled, ConfigError, TerminalError, TransientError
from pipelines.ingest import run_sync
from tests.fakes.rest import API_KEY, PASSWORD, USERNAME, FakeRest
from tests.fakes.server import serve_app

STYLES: dict[str, tuple[dict[str, Any], str, str]] = {
    "none": ({"type": "none"}, "/api/all/people", "data.items"),
    "page_number": (
        {"type": "page_number", "size_param": "per_page", "page_size": 5, "total_path": "meta.total"},
        "/api/pages/people",
        "data.items",
    ),
    "offset": (
        {"type": "offset", "size_param": "limit", "page_size": 5, "total_path": "count"},
        "/api/offset/people",
        "results",
    ),
    "cursor": (
        {"type": "cursor", "cursor_path": "next_cursor", "size_param": "limit", "page_size": 5},
        "/api/cursor/people",
        "items",
    ),
    "link_header": ({"type": "link_header", "size_param": "per_page", "page_size": 5}, "/api/link/people", ""),
    "next_url": (
        {"type": "next_url", "next_url_path": "next", "size_param": "per_page", "page_size": 5},
        "/api/next/people",
        "records",
    ),
}
AUTHS = {
    "header": {"type": "header", "header_name": "X-API-Key", "header_value": API_KEY},
    "query": {"type": "query", "param_name": "api_key", "param_value": API_KEY},
    "bearer": {"type": "bearer", "token": API_KEY},
    "basic": {"type": "basic", "username": USERNAME, "password": PASSWORD},
}
PEOPLE = ConfiguredStream("people")


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[tuple[FakeRest, str]]:
    """One server for the module (starting uvicorn per test costs more than the tests)."""
    fake = FakeRest()
    with serve_app(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def fake(shared_fake: tuple[FakeRest, str]) -> FakeRest:
    """The fake, reset to its defaults (fresh data, no switches, empty request log) for each test."""
    shared_fake[0].__init__()  # type: ignore[misc]
    return shared_fake[0]


@pytest.fixture
def base_url(fake: FakeRest, shared_fake: tuple[FakeRest, str]) -> str:
    return shared_fake[1]


def make_config(
    base_url: str, style: str = "page_number", auth: dict[str, Any] | None = None, **stream: Any
) -> dict[str, Any]:
    pagination, path, records_path = STYLES[style]
    people = {"name": "people", "path": path, "records_path": records_path, "primary_key": ["id"], **stream}
    return {"base_url": base_url, "auth": auth or {"type": "none"}, "pagination": pagination, "streams": [people]}


def read(
    config: dict[str, Any],
    stream: ConfiguredStream = PEOPLE,
    state: dict[str, Any] | None = None,
    batch_rows: int = 1000,
    **connector: Any,
) -> list[Batch]:
    ctx = ReadContext(batch_rows=batch_rows, max_retries=3)
    return list(RestApiConnector(backoff_base=0.01, **connector).read(config, stream, state, ctx))


def arrow(batch: Batch) -> pa.Table:
    """The batch's rows: API connectors always hand Arrow tables to the loader."""
    assert isinstance(batch.data, pa.Table)
    return batch.data


def table(batches: list[Batch], name: str = "people") -> list[dict[str, Any]]:
    parts = [arrow(b) for b in batches if b.table_name == name]
    return pa.concat_tables(parts, promote_options="default").to_pylist() if parts else []


def incremental(**kwargs: Any) -> ConfiguredStream:
    return ConfiguredStream(
        "people", SyncMode.incremental_append, cursor_field="updated_at", primary_key=["id"], **kwargs
    )


def test_registry_and_spec_mask_every_secret() -> None:
    connector = get_connector("rest_api")
    assert isinstance(connector, RestApiConnector)
    auth = connector.spec()["properties"]["auth"]["properties"]
    for secret in ("header_value", "param_value", "token", "password"):
        assert auth[secret]["writeOnly"] is True and auth[secret]["format"] == "password"


@pytest.mark.parametrize("style", list(STYLES))
def test_every_pagination_style_reads_the_whole_dataset_once(base_url: str, fake: FakeRest, style: str) -> None:
    batches = read(make_config(base_url, style))
    people = table(batches)
    assert [p["id"] for p in people] == list(range(1, 24))
    assert people[0]["address_city"] == "Nairobi" and people[0]["address_geo_lat"] == 11.5
    assert people[1]["tags"] == ["volunteer", "field"]
    visits = table(batches, "people__visits")
    assert len(visits) == sum(i % 3 for i in range(1, 24))
    assert {v["_dalgo_parent_id"] for v in visits} == {str(i) for i in range(1, 24) if i % 3}
    assert all(b.parent_key == "_dalgo_parent_id" for b in batches if b.table_name == "people__visits")
    expected_pages = [1] if style == "none" else [1, 2, 3, 4, 5]
    assert fake.pages_served() == expected_pages  # the total (or a missing next) stops it: no extra empty page


def test_page_numbers_without_a_total_stop_at_the_first_empty_page(base_url: str, fake: FakeRest) -> None:
    config = make_config(base_url, pagination={"type": "page_number", "size_param": "per_page", "page_size": 5})
    assert len(table(read(config))) == 23
    assert fake.pages_served() == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("auth", list(AUTHS))
def test_each_auth_scheme_is_accepted(base_url: str, fake: FakeRest, auth: str) -> None:
    fake.auth = auth
    assert len(table(read(make_config(base_url, "next_url", AUTHS[auth])))) == 23


@pytest.mark.parametrize("auth", list(AUTHS))
def test_wrong_credentials_are_an_auth_error(base_url: str, fake: FakeRest, auth: str) -> None:
    fake.auth = auth
    wrong = {
        k: ("wrong" if k in ("header_value", "param_value", "token", "password") else v) for k, v in AUTHS[auth].items()
    }
    with pytest.raises(AuthError, match=r"Stream 'people', page 1: .* rejected the credentials \(HTTP 401\)") as info:
        RestApiConnector().check(make_config(base_url, auth=wrong), ReadContext())
    assert info.value.hint == f"edit the source and check its {auth} credentials"


def test_401_mid_sync_stops_with_the_page_named_and_no_state_past_it(base_url: str, fake: FakeRest) -> None:
    fake.unauthorized_after_page = 3
    reader = RestApiConnector().read(make_config(base_url), incremental(), None, ReadContext(batch_rows=5))
    delivered: list[Batch] = []
    with pytest.raises(AuthError, match=r"Stream 'people', page 4: .* \(HTTP 401\)"):
        delivered.extend(reader)
    states = [b.state for b in delivered if b.state]
    assert states and states[-1]["cursor"] <= max(p["updated_at"] for p in table(delivered))
    assert max(p["id"] for p in table(delivered)) <= 15


def test_429_is_retried_after_the_time_the_server_asks(base_url: str, fake: FakeRest) -> None:
    fake.rate_limit_pages = {2}
    assert len(table(read(make_config(base_url)))) == 23
    page2 = [r for r in fake.requests if r["page"] == 2]
    assert [r["status"] for r in page2] == [429, 200]
    assert page2[1]["at"] - page2[0]["at"] >= 0.9  # Retry-After: 1 honoured, not the 10 ms backoff


def test_server_errors_are_retried_then_reported(base_url: str, fake: FakeRest) -> None:
    fake.server_error_pages = {3: 2}
    assert len(table(read(make_config(base_url)))) == 23
    fake.server_error_pages = {3: 99}
    with pytest.raises(TransientError, match=r"Stream 'people', page 3: .* kept failing after 4 attempts: .* HTTP 500"):
        read(make_config(base_url))


def test_a_page_with_a_missing_field_gives_nulls_not_an_error(base_url: str, fake: FakeRest) -> None:
    fake.missing_field_page = 2
    people = table(read(make_config(base_url)))
    assert [p["id"] for p in people if p["email"] is None] == [6, 7, 8, 9, 10]
    assert people[0]["email"] == "p1@example.org"


def test_a_record_without_its_primary_key_is_named(base_url: str, fake: FakeRest) -> None:
    del fake.people[7]["id"]
    with pytest.raises(BadInputError, match="Stream 'people': record 3 on page 2 has no value for primary key 'id'"):
        read(make_config(base_url))


def test_records_path_that_does_not_exist_names_stream_and_path(base_url: str) -> None:
    config = make_config(base_url, records_path="data.rows")
    with pytest.raises(
        BadInputError,
        match=r"Stream 'people': page 1 of the response has no 'data.rows' \(missing 'rows'; found: items\)",
    ) as info:
        RestApiConnector().discover(config, ReadContext())
    assert info.value.hint and "records path" in info.value.hint


def test_a_malformed_cursor_value_is_named_with_its_record(base_url: str, fake: FakeRest) -> None:
    fake.malformed_cursor_page = 2
    with pytest.raises(
        BadInputError, match=r"Stream 'people': record 1 on page 2 has updated_at = 'not-a-date'"
    ) as info:
        read(make_config(base_url), incremental())
    assert "'2024-01-01T01:00:00Z' in record 1 on page 1" in info.value.message
    assert len(table(read(make_config(base_url)))) == 23  # full refresh does not use the cursor


def test_incremental_sends_the_saved_cursor_and_gets_only_changes(base_url: str, fake: FakeRest) -> None:
    config = make_config(base_url, cursor_field="updated_at", cursor_param="updated_since")
    first = read(config, incremental())
    state = first[-1].state
    assert state == {"cursor_field": "updated_at", "cursor": "2024-01-01T23:00:00Z"}
    fake.people[4]["updated_at"] = "2024-03-01T00:00:00Z"
    fake.requests.clear()
    second = read(config, incremental(), state)
    assert [p["id"] for p in table(second)] == [5]
    assert fake.requests[0]["query"]["updated_since"] == "2024-01-01T23:00:00Z"
    assert second[-1].state == {"cursor_field": "updated_at", "cursor": "2024-03-01T00:00:00Z"}


def test_incremental_filters_locally_when_the_api_ignores_the_cursor(base_url: str) -> None:
    config = make_config(base_url, "cursor")  # no cursor_param: every page comes back
    state = {"cursor_field": "updated_at", "cursor": "2024-01-01T20:00:00Z"}
    assert [p["id"] for p in table(read(config, incremental(), state))] == [21, 22, 23]


@pytest.mark.parametrize("ties", [False, True])
def test_resuming_after_any_committed_batch_loses_and_repeats_nothing(
    base_url: str, fake: FakeRest, ties: bool
) -> None:
    if ties:  # ids 4-7 share one updated_at across the page 1/2 boundary; 11-13 share another
        for i in (4, 5, 6, 7, 11, 12, 13):
            fake.people[i - 1]["updated_at"] = fake.people[3 if i < 10 else 10]["updated_at"]
    config = make_config(base_url, cursor_field="updated_at", cursor_param="updated_since")
    batches = read(config, incremental(), batch_rows=4)
    people = [b for b in batches if b.table_name == "people"]
    for before, after in itertools.pairwise(people):
        assert arrow(before)["updated_at"][-1] != arrow(after)["updated_at"][0]
    assert [b.table_name for b in batches if b.state] and batches[-1].state is not None
    for k, committed in enumerate(batches):
        if committed.state is None:
            continue
        done = [p["id"] for p in table(batches[: k + 1])]
        rest = [p["id"] for p in table(read(config, incremental(), committed.state, batch_rows=4))]
        assert done + rest == list(range(1, 24)), f"resuming after batch {k}"


def test_out_of_order_cursors_only_save_state_at_the_end(base_url: str, fake: FakeRest) -> None:
    fake.order_by = "id"
    fake.people[2]["updated_at"], fake.people[20]["updated_at"] = (
        fake.people[20]["updated_at"],
        fake.people[2]["updated_at"],
    )
    batches = read(make_config(base_url, "cursor"), incremental(), batch_rows=4)
    assert len([b for b in batches if b.table_name == "people"]) == 5  # one group per page of 5
    # saving 2024-01-01T21:00 early would make a resume skip ids 4-20
    assert [b.state for b in batches[:-1]] == [None] * (len(batches) - 1)
    assert batches[-1].state == {"cursor_field": "updated_at", "cursor": "2024-01-01T23:00:00Z"}


def test_discover_infers_columns_keys_cursors_and_children(base_url: str) -> None:
    (stream,) = RestApiConnector().discover(make_config(base_url), ReadContext())
    types = {c.name: c.type for c in stream.columns}
    assert types["id"] == "BIGINT" and types["address_geo_lat"] == "DOUBLE" and types["tags"] == "VARCHAR[]"
    assert types["updated_at"] == "VARCHAR"
    assert stream.primary_key == ["id"]
    assert stream.cursor_candidates == ["updated_at"] and stream.default_cursor == "updated_at"
    assert stream.children == ["people__visits"]
    assert SyncMode.incremental_dedup in stream.supported_sync_modes


def test_cancel_stops_between_pages(base_url: str, fake: FakeRest) -> None:
    ctx = ReadContext(batch_rows=5)
    reader = RestApiConnector().read(make_config(base_url), PEOPLE, None, ctx)
    next(reader)
    ctx.cancel_event.set()
    with pytest.raises(Cancelled):
        list(reader)
    assert len(fake.pages_served()) < 5


def mock(handler: Any) -> dict[str, Any]:
    return {"transport": httpx.MockTransport(handler)}


def test_a_next_url_to_another_host_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"records": [{"id": 1}], "next": "https://elsewhere.example/steal"})

    config = make_config("https://api.example.org", "next_url")
    with pytest.raises(TerminalError, match=r"next page is on another host \(elsewhere.example\)"):
        read(config, **mock(handler))


def test_a_repeated_cursor_token_stops_instead_of_looping() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [{"id": 1}], "next_cursor": "same"})

    with pytest.raises(TerminalError, match="returned the same next page twice"):
        read(make_config("https://api.example.org", "cursor"), **mock(handler))


def test_an_html_page_is_not_mistaken_for_data() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>Login</html>")

    with pytest.raises(
        TerminalError, match=r"Stream 'people', page 1: .* answered /api/pages/people with something that is not JSON"
    ):
        read(make_config("https://api.example.org"), **mock(handler))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": "ftp://files.example.org"}, "is not an http"),
        ({"pagination": {"type": "infinite_scroll"}}, "unknown pagination 'infinite_scroll'"),
        ({"auth": {"type": "bearer"}}, "bearer auth needs 'token'"),
        ({"streams": []}, "has no streams"),
    ],
)
def test_bad_config_is_a_config_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RestApiConnector().check({**make_config("https://api.example.org"), **change}, ReadContext())


@pytest.fixture
def warehouse(tmp_path: Path, extension_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path / "warehouse.duckdb", extension_dir=extension_dir)
    yield con
    con.close()


def sync(config: dict[str, Any], stream: ConfiguredStream, con: duckdb.DuckDBPyConnection, batch_id: str) -> Any:
    ctx = ReadContext(batch_rows=5, max_retries=1)
    return run_sync(
        RestApiConnector(backoff_base=0.01), config, [stream], con=con, schema="raw_api", ctx=ctx, batch_id=batch_id
    )


def test_dedup_sync_updates_rows_and_children_in_duckdb(
    base_url: str, fake: FakeRest, warehouse: duckdb.DuckDBPyConnection
) -> None:
    config = make_config(base_url, cursor_field="updated_at", cursor_param="updated_since")
    dedup = ConfiguredStream("people", SyncMode.incremental_dedup, cursor_field="updated_at", primary_key=["id"])
    assert sync(config, dedup, warehouse, "b1").streams["people"].rows_by_table == {"people": 23, "people__visits": 24}
    fake.people[4].update(name="Renamed", updated_at="2024-03-01T00:00:00Z")
    assert sync(config, dedup, warehouse, "b2").streams["people"].rows == 1
    assert warehouse.execute("SELECT count(*), max(name) FILTER (WHERE id = 5) FROM raw_api.people").fetchall() == [
        (23, "Renamed")
    ]
    assert warehouse.execute("SELECT count(*) FROM raw_api.people__visits").fetchall() == [(24,)]


def test_401_mid_full_refresh_leaves_the_previous_table_intact(
    base_url: str, fake: FakeRest, warehouse: duckdb.DuckDBPyConnection
) -> None:
    sync(make_config(base_url), PEOPLE, warehouse, "b1")
    fake.people = fake.people[:3]
    fake.unauthorized_after_page = 0
    with pytest.raises(AuthError, match="page 1"):
        sync(make_config(base_url), PEOPLE, warehouse, "b2")
    assert warehouse.execute("SELECT count(*) FROM raw_api.people").fetchall() == [(23,)]
