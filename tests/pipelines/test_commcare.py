"""CommCare connector against the fake CommCare HQ over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from pipelines.connectors import get_connector
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.commcare import CommCareConnector
from pipelines.errors import AuthError, BadInputError
from tests.fakes.commcare import FOLLOW_UP, REGISTRATION, FakeCommCare
from tests.fakes.server import FakeServer, SwappableApp, serve_swappable

REG = "form_household_registration"


@pytest.fixture(scope="module")
def shared_server() -> Iterator[tuple[FakeServer, SwappableApp]]:
    with serve_swappable() as served:
        yield served


@pytest.fixture
def fake() -> FakeCommCare:
    return FakeCommCare()


@pytest.fixture
def config(fake: FakeCommCare, shared_server: tuple[FakeServer, SwappableApp]) -> dict[str, Any]:
    server, swap = shared_server
    swap.app = fake.app()
    return {"base_url": server.url, "domain": fake.domain, "username": fake.username, "api_key": fake.api_key}


def ctx() -> ReadContext:
    return ReadContext(max_retries=3)


def read_all(
    config: dict[str, Any], name: str, mode: SyncMode = SyncMode.full_refresh, state: Any = None
) -> list[Batch]:
    stream = ConfiguredStream(name, mode)
    return list(CommCareConnector().read(config, stream, state, ctx()))


def rows(batches: list[Batch], table: str) -> list[dict[str, Any]]:
    parts = [b.data for b in batches if b.table_name == table]
    return pa.concat_tables(parts, promote_options="permissive").to_pylist() if parts else []


def last_state(batches: list[Batch]) -> dict[str, Any]:
    states = [b.state for b in batches if b.state is not None]
    assert states, "no batch carried a state"
    return states[-1]


def test_registry_and_spec_mark_the_key_secret() -> None:
    connector = get_connector("commcare")
    spec = connector.spec()
    assert isinstance(connector, CommCareConnector)
    assert set(spec["required"]) == {"domain", "username", "api_key"}
    assert spec["properties"]["api_key"]["format"] == "password"
    assert spec["properties"]["api_key"]["writeOnly"] is True
    assert all("title" in p for p in spec["properties"].values())
    assert "v0.5" in connector.api_version


def test_check_accepts_the_key_and_rejects_a_wrong_one(config: dict[str, Any]) -> None:
    CommCareConnector().check(config, ctx())
    with pytest.raises(AuthError) as err:
        CommCareConnector().check({**config, "api_key": "stale"}, ctx())
    assert "API key rejected" in err.value.message
    assert "paste a new API key" in (err.value.hint or "")


def test_discover_lists_one_stream_per_form_and_case_type(config: dict[str, Any]) -> None:
    streams = {s.name: s for s in CommCareConnector().discover(config, ctx())}
    assert set(streams) == {REG, "form_follow_up_visit", "case_household", "case_member"}
    reg = streams[REG]
    assert reg.primary_key == ["id"] and reg.default_cursor == "indexed_on"
    assert SyncMode.incremental_dedup in reg.supported_sync_modes
    assert f"{REG}__member" in reg.children and f"{REG}__attachments" in reg.children
    names = {c.name: c.type for c in reg.columns}
    assert names["form_household_name"] == "VARCHAR" and names["archived"] == "BOOLEAN"
    originals = {c.name: c.original_name for c in reg.columns}
    assert originals["form_visit_visit_date"] == "form/visit/visit_date"
    assert REGISTRATION in (reg.description or "")
    assert streams["case_member"].primary_key == ["case_id"]
    assert "indices_parent_case_id" in {c.name for c in streams["case_member"].columns}


def test_discover_falls_back_to_forms_seen_without_app_access(fake: FakeCommCare, config: dict[str, Any]) -> None:
    fake.app_structure_allowed = False
    names = {s.name for s in CommCareConnector().discover(config, ctx())}
    assert {REG, "form_follow_up_visit", "case_household", "case_member"} <= names


def test_full_refresh_follows_next_links_and_splits_repeats(fake: FakeCommCare, config: dict[str, Any]) -> None:
    batches = read_all(config, REG)
    forms = rows(batches, REG)
    expected = [f for f in fake.forms if f["form"]["@xmlns"] == REGISTRATION]
    assert sorted(r["id"] for r in forms) == sorted(f["id"] for f in expected)
    offsets = [int(p.get("offset", 0)) for p in fake.data_requests() if p.get("xmlns") == REGISTRATION]
    assert offsets == list(range(0, len(expected), fake.max_limit))  # every page, via meta.next
    members = rows(batches, f"{REG}__member")
    assert len(members) == sum(i % 4 for i in range(60))  # 1 member = object in the JSON, still a row
    one_member = next(f["id"] for f in expected if isinstance(f["form"].get("household", {}).get("member"), dict))
    assert [m["member_name"] for m in members if m["_dalgo_parent_id"] == one_member]
    attachments = rows(batches, f"{REG}__attachments")
    assert attachments[0]["url"].startswith(config["base_url"] + "/a/")
    assert {b.parent_key for b in batches if b.table_name != REG} == {"_dalgo_parent_id"}


def test_incremental_asks_only_for_newer_forms_without_duplicates(fake: FakeCommCare, config: dict[str, Any]) -> None:
    first = read_all(config, REG, SyncMode.incremental_append)
    state = last_state(first)
    assert state["indexed_on"] == max(f["indexed_on"] for f in fake.forms if f["form"]["@xmlns"] == REGISTRATION)
    fake.add_forms(FOLLOW_UP, 3)
    fake.add_forms(REGISTRATION, 5)
    fake.log.clear()
    second = read_all(config, REG, SyncMode.incremental_append, state)
    assert [r["id"] for r in rows(second, REG)] == [f["id"] for f in fake.forms[-5:]]
    assert fake.data_requests()[0]["indexed_on_start"] == state["indexed_on"][:19]
    assert read_all(config, REG, SyncMode.incremental_append, last_state(second)) == []


def test_resume_from_a_mid_sync_state_loads_each_form_once(fake: FakeCommCare, config: dict[str, Any]) -> None:
    batches = read_all(config, REG, SyncMode.incremental_dedup)
    states = [b.state for b in batches if b.state is not None]
    seen = [r["id"] for r in rows(batches[: next(i for i, b in enumerate(batches) if b.state) + 1], REG)]
    rest = read_all(config, REG, SyncMode.incremental_dedup, states[0])  # crash after page 1
    ids = seen + [r["id"] for r in rows(rest, REG)]
    assert len(ids) == len(set(ids)) == 60
    assert states[0]["ids_at_cursor"]  # the tie at the cursor is remembered


def test_cases_keep_properties_and_parent_index(fake: FakeCommCare, config: dict[str, Any]) -> None:
    members = rows(read_all(config, "case_member"), "case_member")
    assert len(members) == 31
    assert members[0]["case_name"].startswith("Member") and members[0]["indices_parent_case_id"].startswith("case-")
    assert all(p.get("type") == "member" for p in fake.data_requests())


def test_429_with_retry_after_and_500_are_retried(fake: FakeCommCare, config: dict[str, Any]) -> None:
    fake.fail_429, fake.fail_500 = 1, 1
    forms = rows(read_all(config, "form_follow_up_visit"), "form_follow_up_visit")
    assert len(forms) == 37
    assert [s for s, _, _ in fake.log][:3] == [500, 429, 200]


def test_401_mid_sync_is_an_auth_error_naming_the_stream(fake: FakeCommCare, config: dict[str, Any]) -> None:
    stream = ConfiguredStream(REG, SyncMode.incremental_append)
    reader = CommCareConnector().read(config, stream, None, ctx())
    got: list[Batch] = []
    fake.pages_served = 0
    fake.unauthorized_after_pages = 2
    with pytest.raises(AuthError) as err:
        got.extend(reader)
    assert REG in err.value.message and "page 3" in err.value.message
    assert "paste a new API key" in (err.value.hint or "")
    assert len(rows(got, REG)) == 2 * fake.max_limit  # the pages before the 401 were delivered


def test_a_missing_field_loads_as_null(fake: FakeCommCare, config: dict[str, Any]) -> None:
    fake.missing_field_every = 7
    forms = rows(read_all(config, REG), REG)
    villages = [r["form_village"] for r in forms]
    assert villages.count(None) == len(range(0, 60, 7)) and len(forms) == 60


def test_a_malformed_cursor_in_the_data_names_stream_and_value(fake: FakeCommCare, config: dict[str, Any]) -> None:
    fake.malformed_cursor_at = 30
    with pytest.raises(BadInputError) as err:
        read_all(config, REG, SyncMode.incremental_append)
    assert REG in err.value.message and "'last tuesday'" in err.value.message


def test_a_malformed_saved_cursor_is_bad_input(config: dict[str, Any]) -> None:
    with pytest.raises(BadInputError) as err:
        read_all(config, "case_household", SyncMode.incremental_append, {"indexed_on": "2024-13-45"})
    assert "case_household" in err.value.message and "2024-13-45" in err.value.message
