"""SurveyCTO connector against the fake SurveyCTO server over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from pipelines.connectors import get_connector
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.surveycto import SurveyCtoConnector, parse_surveycto_date
from pipelines.errors import AuthError, BadInputError, ConfigError
from tests.fakes.server import FakeServer, SwappableApp, serve_swappable
from tests.fakes.surveycto import FakeSurveyCto

HH = "household_survey"


@pytest.fixture(scope="module")
def shared_server() -> Iterator[tuple[FakeServer, SwappableApp]]:
    with serve_swappable() as served:
        yield served


@pytest.fixture
def fake() -> FakeSurveyCto:
    return FakeSurveyCto()


@pytest.fixture
def config(fake: FakeSurveyCto, shared_server: tuple[FakeServer, SwappableApp]) -> dict[str, Any]:
    server, swap = shared_server
    swap.app = fake.app()
    return {"server": "myorg", "base_url": server.url, "username": fake.username, "password": fake.password}


def ctx(batch_rows: int = 40) -> ReadContext:
    return ReadContext(max_retries=3, batch_rows=batch_rows)


def read_all(config: dict[str, Any], mode: SyncMode = SyncMode.full_refresh, state: Any = None) -> list[Batch]:
    return list(SurveyCtoConnector().read(config, ConfiguredStream(HH, mode), state, ctx()))


def rows(batches: list[Batch], table: str = HH) -> list[dict[str, Any]]:
    parts = [b.data for b in batches if b.table_name == table]
    return pa.concat_tables(parts, promote_options="permissive").to_pylist() if parts else []


def test_registry_and_spec_mark_the_password_secret() -> None:
    connector = get_connector("surveycto")
    spec = connector.spec()
    assert isinstance(connector, SurveyCtoConnector)
    assert spec["properties"]["password"] == {
        "type": "string",
        "title": "Password",
        "format": "password",
        "writeOnly": True,
    }
    assert set(spec["properties"]["review_status"]["default"]) == {"approved", "pending", "rejected"}
    assert "v2" in connector.api_version


def test_dates_parse_without_locale() -> None:
    assert parse_surveycto_date("Oct 10, 2015 6:26:24 PM") == int(
        datetime(2015, 10, 10, 18, 26, 24, tzinfo=UTC).timestamp()
    )
    assert parse_surveycto_date("Jan 1, 2024 12:00:05 AM") == int(datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC).timestamp())
    with pytest.raises(ValueError):
        parse_surveycto_date("2024-01-01")


def test_check_rejects_wrong_password_and_users_without_api_access(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    SurveyCtoConnector().check(config, ctx())
    with pytest.raises(AuthError) as err:
        SurveyCtoConnector().check({**config, "password": "old"}, ctx())
    assert "re-enter" in (err.value.hint or "")
    fake.api_access = False
    with pytest.raises(AuthError) as err:
        SurveyCtoConnector().check(config, ctx())
    assert "API access" in err.value.message and "role" in (err.value.hint or "")


def test_check_names_a_form_that_does_not_exist(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as err:
        SurveyCtoConnector().check({**config, "form_ids": [HH, "houshold"]}, ctx())
    assert "'houshold'" in err.value.message


def test_discover_offers_each_form_with_key_cursor_and_review_status(config: dict[str, Any]) -> None:
    streams = {s.name: s for s in SurveyCtoConnector().discover(config, ctx())}
    assert set(streams) == {HH, "water_point"}
    hh = streams[HH]
    assert hh.primary_key == ["key"] and hh.default_cursor == "completiondate"
    originals = {c.original_name: c.name for c in hh.columns}
    assert originals["review_status"] == "review_status" and originals["member_name_2"] == "member_name_2"
    assert SyncMode.incremental_dedup in hh.supported_sync_modes


def test_full_refresh_keeps_every_review_status_as_a_column(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    batches = read_all(config)
    got = rows(batches)
    assert len(got) == 90 and len(batches) == 3  # 40 + 40 + 10 rows per batch
    assert {r["review_status"] for r in got} == {"APPROVED", "PENDING", "REJECTED"}
    assert fake.ok_requests()[0] == {"date": "0", "r": "approved|pending|rejected"}
    assert all(b.state is not None for b in batches)


def test_review_status_filter_is_sent_to_the_server(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    got = rows(read_all({**config, "review_status": ["approved"]}))
    assert {r["review_status"] for r in got} == {"APPROVED"}
    assert fake.ok_requests()[-1]["r"] == "approved"


def test_incremental_asks_only_for_newer_submissions(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    first = read_all(config, SyncMode.incremental_append)
    state = first[-1].state
    assert state is not None
    assert state["date"] == parse_surveycto_date(fake.submissions[HH][-1]["CompletionDate"])
    fake.add(HH, 6)
    second = read_all(config, SyncMode.incremental_append, state)
    assert [r["key"] for r in rows(second)] == [s["KEY"] for s in fake.submissions[HH][-6:]]
    assert fake.ok_requests()[-1]["date"] == str(state["date"])
    assert read_all(config, SyncMode.incremental_append, second[-1].state) == []


def test_resume_after_the_first_batch_loads_each_submission_once(config: dict[str, Any]) -> None:
    batches = read_all(config, SyncMode.incremental_dedup)
    rest = read_all(config, SyncMode.incremental_dedup, batches[0].state)
    keys = [r["key"] for r in rows(batches[:1]) + rows(rest)]
    assert len(keys) == len(set(keys)) == 90


def test_417_wait_on_a_second_full_download_is_honoured(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    fake.full_data_wait = 1
    config = {**config, "form_ids": [HH]}
    read_all(config)
    assert len(rows(read_all(config))) == 90
    assert [s for s, path, _ in fake.log if "/data/" in path] == [200, 417, 200]


def test_500_and_429_with_retry_after_are_retried(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    fake.fail_500, fake.fail_429 = 1, 1
    assert len(rows(read_all({**config, "form_ids": [HH]}))) == 90
    assert [s for s, _, _ in fake.log] == [500, 429, 200]


def test_401_during_the_download_is_an_auth_error_naming_the_stream(
    fake: FakeSurveyCto, config: dict[str, Any]
) -> None:
    fake.unauthorized_after_requests = 1  # the password changes after the first download
    config = {**config, "form_ids": [HH, "water_point"]}
    assert rows(read_all(config))
    with pytest.raises(AuthError) as err:
        read_all(config, SyncMode.incremental_append)
    assert HH in err.value.message and "re-enter" in (err.value.hint or "")


def test_a_missing_field_loads_as_null(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    fake.missing_field_every = 4
    villages = [r["village"] for r in rows(read_all(config))]
    assert villages.count(None) == len(range(0, 90, 4))


def test_a_malformed_completion_date_names_stream_key_and_value(fake: FakeSurveyCto, config: dict[str, Any]) -> None:
    fake.malformed_date_at = 17
    with pytest.raises(BadInputError) as err:
        read_all(config, SyncMode.incremental_append)
    message = err.value.message
    assert HH in message and fake.submissions[HH][17]["KEY"] in message and "'sometime in March'" in message


def test_a_malformed_saved_cursor_is_bad_input(config: dict[str, Any]) -> None:
    with pytest.raises(BadInputError) as err:
        read_all(config, SyncMode.incremental_append, {"date": "yesterday"})
    assert HH in err.value.message and "'yesterday'" in err.value.message
