"""KoboToolbox connector against the fake KPI API v2 server (real HTTP on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelines.connectors import get_connector
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.kobo import KoboConnector, unique_stream_names
from pipelines.duckdb_conn import connect
from pipelines.errors import AuthError, BadInputError, TerminalError, TransientError
from pipelines.ingest import run_sync
from tests.fakes.kobo import TOKEN, FakeForm, KoboFake
from tests.fakes.server import serve_app

STREAM = "household_survey"
MAIN = "aHouseholdSurvey01"
N = 120


@pytest.fixture
def fake() -> KoboFake:
    return KoboFake(N, page_cap=50)  # 50 per page on the server side: 3 pages for 120 records


@pytest.fixture
def config(fake: KoboFake) -> Iterator[dict[str, Any]]:
    with serve_app(fake.app()) as server:
        yield {"server_url": server.url, "api_token": TOKEN}


@pytest.fixture
def ctx() -> ReadContext:
    return ReadContext(max_retries=3, batch_rows=1)  # one batch per page, so page-level behaviour shows


def read(
    config: dict[str, Any],
    ctx: ReadContext,
    mode: SyncMode = SyncMode.full_refresh,
    state: dict[str, Any] | None = None,
    stream: str = STREAM,
) -> list[Batch]:
    return list(KoboConnector().read(config, ConfiguredStream(stream, mode), state, ctx))


def arrow(batch: Batch) -> pa.Table:
    assert isinstance(batch.data, pa.Table), "API connectors hand over Arrow tables"
    return batch.data


def rows(batches: list[Batch], table: str = STREAM) -> list[dict[str, Any]]:
    return [row for b in batches if b.table_name == table for row in arrow(b).to_pylist()]


def last_state(batches: list[Batch]) -> dict[str, Any]:
    states = [b.state for b in batches if b.state is not None]
    assert states, "no batch carried a state"
    return states[-1]


def test_registry_builds_the_kobo_connector() -> None:
    assert isinstance(get_connector("kobotoolbox"), KoboConnector)


def test_spec_masks_the_token_and_defaults_the_server() -> None:
    spec = KoboConnector().spec()
    token = spec["properties"]["api_token"]
    assert token["format"] == "password" and token["writeOnly"] is True
    assert spec["properties"]["server_url"]["default"] == "https://kf.kobotoolbox.org"
    assert set(spec["required"]) == {"server_url", "api_token"}
    assert all(p.get("title") and p.get("description") for p in spec["properties"].values())


def test_check_accepts_the_token(config: dict[str, Any], ctx: ReadContext) -> None:
    KoboConnector().check(config, ctx)


def test_check_rejects_a_wrong_token_in_plain_language(config: dict[str, Any], ctx: ReadContext) -> None:
    with pytest.raises(AuthError) as err:
        KoboConnector().check({**config, "api_token": "wrong"}, ctx)
    assert err.value.message == "KoboToolbox token rejected"
    assert err.value.hint is not None and "paste a new token" in err.value.hint


def test_discover_lists_deployed_forms_with_stable_unique_names(config: dict[str, Any], ctx: ReadContext) -> None:
    streams = {s.name: s for s in KoboConnector().discover(config, ctx)}
    # the draft (not deployed) and the question block are not forms to sync
    assert set(streams) == {STREAM, "household_survey_ahouseholddup02"}
    survey = streams[STREAM]
    assert survey.primary_key == ["_id"]
    assert survey.default_cursor == "_submission_time"
    assert survey.children == ["household_survey__members"]
    types = {c.name: c.type for c in survey.columns}
    assert types["age"] == "BIGINT" and types["income"] == "DOUBLE"
    assert types["crops"] == "VARCHAR[]" and types["today"] == "DATE"
    assert types["_submission_time"] == "TIMESTAMP" and types["start"] == "TIMESTAMP"
    assert types["location_district"] == "VARCHAR" and types["photo_url"] == "VARCHAR"
    assert "intro" not in types  # a note carries no data
    assert {c.name: c.original_name for c in survey.columns}["location_district"] == "location/district"


def test_stream_names_stay_put_when_a_same_named_form_is_added() -> None:
    before = unique_stream_names([("Household Survey", "aOld", "2024-01-01")])
    after = unique_stream_names(
        [("Household survey!", "aNew", "2024-05-01"), ("Household Survey", "aOld", "2024-01-01")]
    )
    assert before["aOld"] == after["aOld"] == "household_survey"
    assert after["aNew"] == "household_survey_anew"


def test_full_refresh_pages_through_every_submission(fake: KoboFake, config: dict[str, Any], ctx: ReadContext) -> None:
    batches = read(config, ctx)
    subs = rows(batches)
    assert len(subs) == N and len({r["_id"] for r in subs}) == N
    limits = [int(r["params"]["limit"]) for r in fake.data_requests()]
    assert len(limits) == 3 and limits[0] == 1000 and max(limits) <= 1000
    first = next(r for r in subs if r["_id"] == 1011)  # i = 11: maize+beans+sorghum, photo, 3 members
    assert first["crops"] == ["maize", "beans", "sorghum"]
    assert first["age"] == 29 and first["income"] == 407.5
    assert first["photo_url"] == f"{config['server_url']}/api/v2/assets/{MAIN}/data/1011/attachments/51011/"
    assert first["_submission_time"] == datetime(2024, 1, 5, 8, 5)
    assert first["start"] == datetime(2024, 1, 5, 4, 53)  # 07:53+03:00 in UTC
    assert next(r for r in subs if r["_id"] == 1010)["_validation_status"] == "validation_status_approved"


def test_repeats_become_a_child_table_linked_to_the_submission(config: dict[str, Any], ctx: ReadContext) -> None:
    batches = read(config, ctx)
    members = rows(batches, "household_survey__members")
    assert len(members) == sum(i % 4 for i in range(N))
    assert {b.parent_key for b in batches if b.table_name.endswith("__members")} == {"_dalgo_parent_id"}
    of_1011 = sorted((m for m in members if m["_dalgo_parent_id"] == "1011"), key=lambda m: m["_dalgo_index"])
    assert [m["member_name"] for m in of_1011] == ["Dalia junior 0", "Esi junior 1", "Faraji junior 2"]
    assert of_1011[0]["member_roles"] == ["child", "student", "worker", "carer"]
    assert isinstance(of_1011[0]["member_age"], int)


def test_every_page_has_the_same_schema(config: dict[str, Any], ctx: ReadContext) -> None:
    schemas = {arrow(b).schema for b in read(config, ctx) if b.table_name == STREAM}
    assert len(schemas) == 1


def test_state_moves_forward_page_by_page(config: dict[str, Any], ctx: ReadContext) -> None:
    batches = read(config, ctx, SyncMode.incremental_append)
    seen: list[datetime] = []
    for batch in batches:
        seen += [r["_submission_time"] for r in arrow(batch).to_pylist() if batch.table_name == STREAM]
        if batch.state is not None:
            assert datetime.fromisoformat(batch.state["cursor"]) == max(seen)
    assert last_state(batches)["cursor"] == "2024-01-05T08:59:00"


def test_pages_are_grouped_into_batches_of_the_engine_batch_size(config: dict[str, Any]) -> None:
    batches = read(config, ReadContext(batch_rows=100))  # pages of 50: two pages per batch
    assert [(b.table_name, arrow(b).num_rows) for b in batches if b.table_name == STREAM] == [
        (STREAM, 100),
        (STREAM, 20),
    ]
    assert [b.state["cursor"] for b in batches if b.state] == ["2024-01-05T08:49:00", "2024-01-05T08:59:00"]
    assert len({r["_id"] for r in rows(batches)}) == N


def test_incremental_asks_only_for_newer_submissions_without_duplicates(
    fake: KoboFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    state = last_state(read(config, ctx, SyncMode.incremental_append))
    fake.add_submissions(MAIN, 7)
    fake.requests.clear()
    again = read(config, ctx, SyncMode.incremental_append, state)
    assert sorted(r["_id"] for r in rows(again)) == list(range(1000 + N, 1000 + N + 7))
    assert '"$gte": "2024-01-05T08:59:00"' in fake.data_requests()[0]["params"]["query"]
    assert last_state(again)["cursor"] == "2024-01-05T09:03:00"


def test_a_submission_at_the_boundary_time_is_still_loaded(
    fake: KoboFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    state = last_state(read(config, ctx, SyncMode.incremental_append))
    fake.add_submissions(MAIN, 1)
    fake.set_field(MAIN, N, "_submission_time", state["cursor"])  # same second as the last loaded one
    assert [r["_id"] for r in rows(read(config, ctx, SyncMode.incremental_append, state))] == [1000 + N]


def test_nothing_new_reads_nothing(config: dict[str, Any], ctx: ReadContext) -> None:
    state = last_state(read(config, ctx, SyncMode.incremental_append))
    assert rows(read(config, ctx, SyncMode.incremental_append, state)) == []


def test_429_is_retried_after_the_retry_after_delay(fake: KoboFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.fail_next(429, retry_after=1)
    assert len(rows(read(config, ctx))) == N
    calls = fake.data_requests()
    assert calls[1]["at"] - calls[0]["at"] >= 1.0  # the retry waited for Retry-After


def test_server_errors_are_retried(fake: KoboFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.fail_next(500, times=2)
    assert len(rows(read(config, ctx))) == N


def test_a_server_that_keeps_failing_is_a_transient_error(fake: KoboFake, config: dict[str, Any]) -> None:
    fake.fail_next(503, times=10)
    with pytest.raises(TransientError):
        read(config, ReadContext(max_retries=1))


def test_401_mid_sync_stops_with_the_token_message(fake: KoboFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.unauthorized_after_pages = 1
    got: list[Batch] = []
    with pytest.raises(AuthError) as err:
        for batch in KoboConnector().read(config, ConfiguredStream(STREAM, SyncMode.incremental_append), None, ctx):
            got.append(batch)
    assert err.value.message == "KoboToolbox token rejected"
    assert len(rows(got)) == 50 and last_state(got)["cursor"] == "2024-01-05T08:24:00"


def test_a_missing_field_loads_as_null(fake: KoboFake, config: dict[str, Any], ctx: ReadContext) -> None:
    fake.drop_field(MAIN, 5, "age")
    fake.drop_field(MAIN, 6, "_uuid")
    subs = {r["_id"]: r for r in rows(read(config, ctx))}
    assert subs[1005]["age"] is None and subs[1006]["_uuid"] is None
    assert subs[1007]["age"] == 25


def test_a_malformed_cursor_names_the_stream_and_the_value(
    fake: KoboFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    fake.set_field(MAIN, 10, "_submission_time", "2024-13-45T99:00:00")
    with pytest.raises(BadInputError) as err:
        read(config, ctx, SyncMode.incremental_append)
    assert STREAM in err.value.message and "2024-13-45T99:00:00" in err.value.message and "1010" in err.value.message


def test_a_malformed_answer_loads_as_null_with_a_warning(fake: KoboFake, config: dict[str, Any]) -> None:
    fake.set_field(MAIN, 4, "age", "twelve")
    events: list[dict[str, Any]] = []
    subs = {r["_id"]: r for r in rows(read(config, ReadContext(progress=events.append)))}
    assert subs[1004]["age"] is None
    assert any("twelve" in str(e.get("warning")) for e in events)


def test_a_form_without_submissions_gives_an_empty_typed_table(
    fake: KoboFake, config: dict[str, Any], ctx: ReadContext
) -> None:
    fake.add_form(FakeForm("aEmptyForm05", "Empty form", "2024-04-01T00:00:00Z"))
    batches = read(config, ctx, stream="empty_form")
    assert len(batches) == 1 and arrow(batches[0]).num_rows == 0
    assert str(arrow(batches[0]).schema.field("age").type) == "int64"


def test_an_unknown_stream_is_a_clear_error(config: dict[str, Any], ctx: ReadContext) -> None:
    with pytest.raises(TerminalError, match="no deployed form for stream 'gone'"):
        read(config, ctx, stream="gone")


NESTED_SURVEY = [
    {"type": "begin_repeat", "name": "plots"},
    {"type": "text", "name": "crop"},
    {"type": "begin_repeat", "name": "visits"},
    {"type": "date", "name": "visit_date"},
    {"type": "end_repeat"},
    {"type": "end_repeat"},
]


def test_a_repeat_inside_a_repeat_links_to_its_entry(fake: KoboFake, config: dict[str, Any], ctx: ReadContext) -> None:
    form = fake.add_form(FakeForm("aNested06", "Plots", "2024-04-02T00:00:00Z", survey=NESTED_SURVEY))
    visits = [{"plots/visits/visit_date": "2024-01-02"}, {"plots/visits/visit_date": "2024-01-09"}]
    form.records = [
        {
            "_id": 7,
            "_submission_time": "2024-02-01T00:00:00",
            "plots": [{"plots/crop": "maize", "plots/visits": visits}, {"plots/crop": "beans"}],
        }
    ]
    stream = next(s for s in KoboConnector().discover(config, ctx) if s.name == "plots")
    assert stream.children == ["plots__plots", "plots__plots__visits"]
    batches = read(config, ctx, stream="plots")
    plots = rows(batches, "plots__plots")
    assert [(p["crop"], p["_dalgo_parent_id"], p["_dalgo_row_id"]) for p in plots] == [
        ("maize", "7", "7/plots[0]"),
        ("beans", "7", None),
    ]
    dates = [(v["visit_date"].isoformat(), v["_dalgo_parent_id"]) for v in rows(batches, "plots__plots__visits")]
    assert dates == [("2024-01-02", "7/plots[0]"), ("2024-01-09", "7/plots[0]")]


def test_syncs_into_duckdb_and_resumes_without_duplicates(
    fake: KoboFake, config: dict[str, Any], tmp_path: Path, extension_dir: Path
) -> None:
    con = connect(tmp_path / "warehouse.duckdb", extension_dir=extension_dir)
    stream = ConfiguredStream(STREAM, SyncMode.incremental_dedup, cursor_field="_submission_time", primary_key=["_id"])
    run_sync(KoboConnector(), config, [stream], con=con, schema="raw_kobo", ctx=ReadContext(), batch_id="b1")
    fake.add_submissions(MAIN, 5)
    result = run_sync(KoboConnector(), config, [stream], con=con, schema="raw_kobo", ctx=ReadContext(), batch_id="b2")
    assert result.rows == 5
    count, distinct = con.execute(f"SELECT count(*), count(DISTINCT _id) FROM raw_kobo.{STREAM}").fetchone() or (0, 0)
    assert count == distinct == N + 5
    members = con.execute(f"SELECT count(*) FROM raw_kobo.{STREAM}__members").fetchone()
    assert members == (sum(i % 4 for i in range(N + 5)),)
    types = dict(
        con.execute(
            f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{STREAM}'"
        ).fetchall()
    )
    assert types["age"] == "BIGINT" and types["crops"] == "VARCHAR[]" and types["_submission_time"] == "TIMESTAMP"
    con.close()
