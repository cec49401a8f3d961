"""ODK Central connector against the fake Central (REST v1 + OData) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelines.connectors import get_connector
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.odk import OdkCentralConnector
from pipelines.duckdb_conn import connect
from pipelines.errors import AuthError, BadInputError, ConfigError, TransientError
from pipelines.ingest import run_sync
from tests.fakes.odk import API_TOKEN, EMAIL, PASSWORD, OdkFake, make_submission
from tests.fakes.server import serve_app

STREAM = "household_survey"
FORM = "household"
N = 120


@pytest.fixture
def fake() -> OdkFake:
    return OdkFake(N, page_cap=50)  # Central pages at 50 although the client asks $top=1000


@pytest.fixture
def config(fake: OdkFake) -> Iterator[dict[str, Any]]:
    with serve_app(fake.app()) as server:
        yield {
            "server_url": server.url,
            "project_id": 7,
            "auth_method": "password",
            "email": EMAIL,
            "password": PASSWORD,
        }


@pytest.fixture
def ctx() -> ReadContext:
    return ReadContext(max_retries=3, batch_rows=1)  # one batch per page, so page-level behaviour shows


def read(
    config: dict[str, Any],
    ctx: ReadContext,
    mode: SyncMode = SyncMode.full_refresh,
    state: dict[str, Any] | None = None,
    cursor: str | None = None,
) -> list[Batch]:
    return list(OdkCentralConnector().read(config, ConfiguredStream(STREAM, mode, cursor_field=cursor), state, ctx))


def arrow(batch: Batch) -> pa.Table:
    assert isinstance(batch.data, pa.Table), "API connectors hand over Arrow tables"
    return batch.data


def rows(batches: list[Batch], table: str = STREAM) -> list[dict[str, Any]]:
    return [row for b in batches if b.table_name == table for row in arrow(b).to_pylist()]


def last_state(batches: list[Batch]) -> dict[str, Any]:
    states = [b.state for b in batches if b.state is not None]
    assert states, "no batch carried a state"
    return states[-1]


def instance_id(i: int, form: str = FORM) -> str:
    return str(make_submission(form, i)["__id"])


def test_registry_builds_the_odk_connector() -> None:
    assert isinstance(get_connector("odk_central"), OdkCentralConnector)


def test_spec_masks_secrets_and_offers_both_sign_in_methods() -> None:
    spec = OdkCentralConnector().spec()
    props = spec["properties"]
    for secret in ("password", "token"):
        assert props[secret]["format"] == "password" and props[secret]["writeOnly"] is True
    assert props["auth_method"]["enum"] == ["password", "token"]
    assert {"server_url", "project_id"} <= set(spec["required"])
    assert all(p.get("title") and p.get("description") for p in props.values())


def test_check_signs_in_and_closes_its_session(fake: OdkFake, config: dict[str, Any], ctx: ReadContext) -> None:
    OdkCentralConnector().check(config, ctx)
    assert len(fake.closed_sessions) == 1 and fake.closed_sessions[0] not in fake.tokens


def test_check_accepts_a_token(config: dict[str, Any], ctx: ReadContext) -> None:
    OdkCentralConnector().check({**config, "auth_method": "token", "token": API_TOKEN}, ctx)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": "wrong"}, "ODK Central rejected the email or password"),
        ({"auth_method": "token", "token": "expired"}, "ODK Central rejected the token"),
    ],
)
def test_check_rejects_bad_credentials_in_plain_language(
    config: dict[str, Any], ctx: ReadContext, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(AuthError) as err:
        OdkCentralConnector().check({**config, **change}, ctx)
    assert err.value.message == message and err.value.hint


def test_check_names_a_wrong_project(config: dict[str, Any], ctx: ReadContext) -> None:
    with pytest.raises(ConfigError, match="no project 99"):
        OdkCentralConnector().check({**config, "project_id": 99}, ctx)


def test_discover_lists_published_forms_typed_from_their_fields(config: dict[str, Any], ctx: ReadContext) -> None:
    streams = {s.name: s for s in OdkCentralConnector().discover(config, ctx)}
    assert set(streams) == {STREAM, "household_survey_household_v2"}  # the draft is not published
    survey = streams[STREAM]
    assert survey.primary_key == ["_id"]
    assert survey.cursor_candidates == ["_system_submission_date", "_system_updated_at"]
    assert survey.children == ["household_survey__members"]
    types = {c.name: c.type for c in survey.columns}
    assert types["age"] == "BIGINT" and types["income"] == "DOUBLE" and types["crops"] == "VARCHAR[]"
    assert types["visit_date"] == "DATE" and types["started"] == "TIMESTAMP"
    assert types["location_photo_url"] == "VARCHAR" and types["_dalgo_deleted"] == "BOOLEAN"


def test_full_refresh_follows_skiptoken_pages(fake: OdkFake, config: dict[str, Any], ctx: ReadContext) -> None:
    batches = read(config, ctx)
    subs = rows(batches)
    assert len(subs) == N and len({r["_id"] for r in subs}) == N
    calls = [r["params"] for r in fake.odata_requests()]
    assert len(calls) == 3 and calls[0]["$top"] == "1000" and calls[0]["$expand"] == "*"
    assert all(c.get("$skiptoken", "").startswith("01") for c in calls[1:])
    one = next(r for r in subs if r["_id"] == instance_id(11))
    assert one["crops"] == ["maize", "beans", "sorghum"] and one["age"] == 29
    assert one["location_gps"] == "POINT (36.11 -1.11 1700.0)"
    assert one["_system_submission_date"] == datetime(2024, 1, 5, 8, 5)
    assert one["started"] == datetime(2024, 1, 5, 4, 53)  # 07:53+03:00 in UTC
    assert one["location_photo_url"] == (
        f"{config['server_url']}/v1/projects/7/forms/household/submissions/{instance_id(11).replace(':', '%3A')}/attachments/photo%2011.jpg"
    )
    assert one["_dalgo_deleted"] is False


def test_full_refresh_gives_its_state_with_the_last_page_only(config: dict[str, Any], ctx: ReadContext) -> None:
    batches = read(config, ctx)  # newest first: an earlier state would skip older rows after a crash
    assert [b.state is not None for b in batches] == [False] * (len(batches) - 1) + [True]
    assert last_state(batches)["cursor"] == "2024-01-05T08:59:00.000Z"


def test_pages_are_grouped_into_batches_of_the_engine_batch_size(config: dict[str, Any]) -> None:
    batches = read(config, ReadContext(batch_rows=100), SyncMode.incremental_append)  # pages of 50
    assert [arrow(b).num_rows for b in batches if b.table_name == STREAM] == [100, 20]
    assert [b.state["cursor"] for b in batches if b.state] == ["2024-01-05T08:49:00.000Z", "2024-01-05T08:59:00.000Z"]
    assert len({r["_id"] for r in rows(batches)}) == N


def test_repeats_become_a_child_table_linked_to_the_submission(config: dict[str, Any], ctx: ReadContext) -> None:
    members = rows(read(config, ctx), "household_survey__members")
    assert len(members) == sum(i % 4 for i in range(N))
    of_11 = sorted((m for m in members if m["_dalgo_parent_id"] == instance_id(11)), key=lambda m: m["_dalgo_index"])
    assert [m["member_name"] for m in of_11] == ["Dalia junior 0", "Esi junior 1", "Faraji junior 2"]
    assert of_11[0]["member_roles"] == ["child", "student", "worker"] and len(of_11[0]["_id"]) == 40


def test_incremental_filters_on_submission_date_and_moves_the_state_per_page(
    fake: OdkFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    first = read(config, ctx, SyncMode.incremental_append)
    assert sum(b.state is not None for b in first) == 3  # ascending order: every page is a safe resume point
    fake.add_submissions(FORM, 5)
    fake.requests.clear()
    again = read(config, ctx, SyncMode.incremental_append, last_state(first))
    assert sorted(r["_id"] for r in rows(again)) == sorted(instance_id(i) for i in range(N, N + 5))
    live = fake.odata_requests()[0]["params"]
    assert live["$filter"] == "__system/submissionDate ge 2024-01-05T08:59:00.000Z"
    assert live["$orderby"] == "__system/submissionDate asc" and "$skiptoken" not in live


def test_deleted_submissions_are_left_out_and_reported_as_tombstones(
    fake: OdkFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    state = last_state(read(config, ctx, SyncMode.incremental_dedup))
    gone = {fake.delete(FORM, 3, "2024-02-01T10:00:00.000Z"), fake.delete(FORM, 40, "2024-02-01T11:00:00.000Z")}
    again = read(config, ctx, SyncMode.incremental_dedup, state)
    tombstones = [r for r in rows(again) if r["_dalgo_deleted"]]
    assert {r["_id"] for r in tombstones} == gone
    assert all(r["respondent_name"] is None for r in tombstones)
    assert last_state(again)["deleted_at"] == "2024-02-01T11:00:00.000Z"
    assert rows(read(config, ctx, SyncMode.incremental_dedup, last_state(again))) == []  # reported once
    full = rows(read(config, ctx))
    assert len(full) == N - 2 and not gone & {r["_id"] for r in full}


def test_updated_at_cursor_picks_up_edits(fake: OdkFake, config: dict[str, Any], ctx: ReadContext) -> None:
    cursor = "_system_updated_at"
    state = last_state(read(config, ctx, SyncMode.incremental_dedup, cursor=cursor))
    fake.edit(FORM, 7, "2024-03-01T09:00:00.000Z", age=99)
    again = read(config, ctx, SyncMode.incremental_dedup, state, cursor=cursor)
    assert [(r["_id"], r["age"], r["_system_edits"]) for r in rows(again)] == [(instance_id(7), 99, 1)]
    assert last_state(again)["cursor"] == "2024-03-01T09:00:00.000Z"


def test_updated_at_state_is_saved_when_the_last_page_holds_only_known_rows(
    fake: OdkFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    cursor = "_system_updated_at"
    state = last_state(read(config, ctx, SyncMode.incremental_dedup, cursor=cursor))
    fake.edit(FORM, 7, "2024-03-01T09:00:00.000Z", age=99)
    state = last_state(read(config, ctx, SyncMode.incremental_dedup, state, cursor=cursor))
    fake.edit(FORM, 100, "2024-03-02T09:00:00.000Z", age=77)
    fake.page_cap = 1  # newest first: [#100 (new edit)], then [#7 (already loaded at the boundary)]
    again = read(config, ctx, SyncMode.incremental_dedup, state, cursor=cursor)
    assert [r["_id"] for r in rows(again)] == [instance_id(100)]
    assert again[-1].state is not None and again[-1].state["cursor"] == "2024-03-02T09:00:00.000Z"


def test_429_is_retried_after_the_retry_after_delay(fake: OdkFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.fail_next(429, retry_after=1)
    assert len(rows(read(config, ctx))) == N
    calls = fake.odata_requests()
    assert calls[1]["at"] - calls[0]["at"] >= 1.0


def test_server_errors_are_retried_then_reported(fake: OdkFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.fail_next(502, times=2)
    assert len(rows(read(config, ctx))) == N
    fake.fail_next(500, times=10)
    with pytest.raises(TransientError, match="ODK Central kept failing"):
        read(config, ReadContext(max_retries=1))


def test_401_mid_sync_is_an_auth_error(fake: OdkFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.unauthorized_after_pages = 1
    got: list[Batch] = []
    with pytest.raises(AuthError, match="ODK Central rejected the email or password"):
        for batch in OdkCentralConnector().read(
            config, ConfiguredStream(STREAM, SyncMode.incremental_append), None, ctx
        ):
            got.append(batch)
    assert len(rows(got)) == 50 and last_state(got)["cursor"] == "2024-01-05T08:24:00.000Z"


def test_a_missing_field_loads_as_null(fake: OdkFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.drop_field(FORM, 5, "age")
    fake.drop_field(FORM, 6, "location")
    subs = {r["_id"]: r for r in rows(read(config, ctx))}
    assert subs[instance_id(5)]["age"] is None
    assert subs[instance_id(6)]["location_district"] is None and subs[instance_id(7)]["location_district"] == "west"


def test_a_malformed_cursor_names_the_stream_and_the_value(
    fake: OdkFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    fake.set_system(FORM, 10, "submissionDate", "2024-01-05T25:61:00Z")
    with pytest.raises(BadInputError) as err:
        read(config, ctx)
    assert STREAM in err.value.message and "2024-01-05T25:61:00Z" in err.value.message


def test_an_unsupported_cursor_is_a_config_error(config: dict[str, Any], ctx: ReadContext) -> None:
    with pytest.raises(ConfigError, match="cannot sync incrementally on 'age'"):
        read(config, ctx, SyncMode.incremental_append, cursor="age")


def test_syncs_into_duckdb_and_applies_deletions(
    fake: OdkFake, config: dict[str, Any], tmp_path: Path, extension_dir: Path
) -> None:
    con = connect(tmp_path / "warehouse.duckdb", extension_dir=extension_dir)
    stream = ConfiguredStream(
        STREAM, SyncMode.incremental_dedup, cursor_field="_system_submission_date", primary_key=["_id"]
    )
    run_sync(OdkCentralConnector(), config, [stream], con=con, schema="raw_odk", ctx=ReadContext(), batch_id="b1")
    gone = fake.delete(FORM, 11, "2024-02-01T10:00:00.000Z")
    fake.add_submissions(FORM, 3)
    run_sync(OdkCentralConnector(), config, [stream], con=con, schema="raw_odk", ctx=ReadContext(), batch_id="b2")
    live = con.execute(
        f"SELECT count(*), count(DISTINCT _id) FROM raw_odk.{STREAM} WHERE NOT _dalgo_deleted"
    ).fetchone()
    assert live == (N + 3 - 1, N + 3 - 1)
    tombstone = con.execute(
        f"SELECT respondent_name, _system_deleted_at FROM raw_odk.{STREAM} WHERE _id = ?", [gone]
    ).fetchall()
    assert tombstone == [(None, datetime(2024, 2, 1, 10, 0))]
    orphans = con.execute(
        f"SELECT count(*) FROM raw_odk.{STREAM}__members WHERE _dalgo_parent_id = ?", [gone]
    ).fetchone()
    assert orphans == (0,)  # the deleted submission's repeat rows went with it
    con.close()
