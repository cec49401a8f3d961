"""run_sync semantics with a tiny in-test connector: atomic full refresh, resumable incremental, dedup."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from pipelines import loader
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SqlScan, Stream, SyncMode
from pipelines.connectors.records import records_to_tables, rows_to_arrow
from pipelines.duckdb_conn import connect
from pipelines.errors import BadInputError, Cancelled, ConfigError, TransientError
from pipelines.ingest import get_state, run_sync

SCHEMA = "raw_fake"


class FakeConnector:
    """Serves pages of rows per stream; state is the next page number, like a paged API."""

    type = "fake"
    name = "Fake"
    api_version = "test"

    def __init__(self, pages: dict[str, list[list[dict[str, Any]]]], *, fail_at: int | None = None) -> None:
        self.pages = pages
        self.fail_at = fail_at
        self.cancel_at: tuple[int, threading.Event] | None = None
        self.reads: list[dict[str, Any] | None] = []

    def spec(self) -> dict[str, Any]:
        return {"type": "object", "properties": {}}

    def check(self, config: dict[str, Any], ctx: ReadContext) -> None:
        return None

    def discover(self, config: dict[str, Any], ctx: ReadContext) -> list[Stream]:
        return []

    def read(
        self, config: dict[str, Any], stream: ConfiguredStream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        self.reads.append(state)
        start = (state or {}).get("page", 0)
        for page in range(start, len(self.pages[stream.name])):
            if self.fail_at == page:
                raise TransientError("connection reset by the fake API")
            if self.cancel_at and self.cancel_at[0] == page:
                self.cancel_at[1].set()
            names: dict[str, str] = {}
            table = loader.with_original_names(rows_to_arrow(self.pages[stream.name][page], names), names)
            yield Batch(stream.name, table, state={"page": page + 1})


@pytest.fixture
def con(tmp_path: Path, extension_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "warehouse.duckdb", extension_dir=extension_dir)
    yield connection
    connection.close()


def sync(
    con: duckdb.DuckDBPyConnection,
    connector: Any,
    streams: list[ConfiguredStream],
    ctx: ReadContext | None = None,
    batch_id: str = "b1",
):
    return run_sync(connector, {}, streams, con=con, schema=SCHEMA, ctx=ctx or ReadContext(), batch_id=batch_id)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def people(start: int, count: int) -> list[dict[str, Any]]:
    return [{"id": i, "Full Name": f"person {i}"} for i in range(start, start + count)]


def test_full_refresh_creates_table_with_loader_columns_metadata_and_state(con: duckdb.DuckDBPyConnection) -> None:
    connector = FakeConnector({"people": [people(0, 3), people(3, 2)]})
    result = sync(con, connector, [ConfiguredStream("people")], batch_id="batch-42")
    assert result.streams["people"].rows == 5
    assert result.tables_written == [f"{SCHEMA}.people"]
    assert rows(con, f"SELECT count(*), count(DISTINCT id), min(_dalgo_batch_id) FROM {SCHEMA}.people") == [
        (5, 5, "batch-42")
    ]
    assert rows(con, f"SELECT typeof(_dalgo_loaded_at) FROM {SCHEMA}.people LIMIT 1") == [("TIMESTAMP",)]
    meta = dict(
        rows(con, f"SELECT column_name, original_name FROM {SCHEMA}._dalgo_columns WHERE table_name = 'people'")
    )
    assert meta["full_name"] == "Full Name"
    assert get_state(con, SCHEMA, "people") == {"page": 2}


def test_progress_reports_stream_table_rows_and_bytes(con: duckdb.DuckDBPyConnection) -> None:
    seen: list[dict[str, Any]] = []
    connector = FakeConnector({"people": [people(0, 3), people(3, 2)]})
    sync(con, connector, [ConfiguredStream("people")], ReadContext(progress=seen.append))
    assert [(p["stream"], p["table"], p["rows"]) for p in seen] == [("people", "people", 3), ("people", "people", 5)]
    assert seen[-1]["bytes"] > seen[0]["bytes"] > 0


def test_crash_mid_incremental_append_resumes_without_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    pages = [people(0, 10), people(10, 10), people(20, 10), people(30, 10)]
    stream = ConfiguredStream("people", SyncMode.incremental_append)
    with pytest.raises(TransientError):
        sync(con, FakeConnector({"people": pages}, fail_at=2), [stream])
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.people") == [(20,)]  # pages 0 and 1 were committed
    assert get_state(con, SCHEMA, "people") == {"page": 2}

    resumed = FakeConnector({"people": pages})
    result = sync(con, resumed, [stream], batch_id="b2")
    assert resumed.reads == [{"page": 2}]
    assert result.streams["people"].rows == 20
    assert rows(con, f"SELECT count(*), count(DISTINCT id) FROM {SCHEMA}.people") == [(40, 40)]


def test_state_and_rows_commit_together(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_save = loader.save_state

    def failing_second_save(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real_save(*args)

    monkeypatch.setattr(loader, "save_state", failing_second_save)
    with pytest.raises(OSError):
        sync(
            con,
            FakeConnector({"people": [people(0, 5), people(5, 5)]}),
            [ConfiguredStream("people", SyncMode.incremental_append)],
        )
    # the second batch's rows were inserted before its state failed to save: both are gone
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.people") == [(5,)]
    assert get_state(con, SCHEMA, "people") == {"page": 1}


def test_cancel_during_full_refresh_keeps_previous_table(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, FakeConnector({"people": [people(0, 3)]}), [ConfiguredStream("people")])
    ctx = ReadContext()
    second = FakeConnector({"people": [people(100, 50), people(150, 50), people(200, 50)]})
    second.cancel_at = (1, ctx.cancel_event)
    with pytest.raises(Cancelled):
        sync(con, second, [ConfiguredStream("people")], ctx, batch_id="b2")
    assert rows(con, f"SELECT count(*), max(id), min(_dalgo_batch_id) FROM {SCHEMA}.people") == [(3, 2, "b1")]
    assert [t for t in loader.list_tables(con, SCHEMA) if t.startswith("_dalgo_stage")] == []
    assert get_state(con, SCHEMA, "people") == {"page": 1}


def test_failed_full_refresh_keeps_previous_table(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, FakeConnector({"people": [people(0, 3)]}), [ConfiguredStream("people")])
    with pytest.raises(TransientError):
        sync(
            con,
            FakeConnector(
                {
                    "people": [people(0, 5), people(5, 5)],
                },
                fail_at=1,
            ),
            [ConfiguredStream("people")],
        )
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.people") == [(3,)]
    assert [t for t in loader.list_tables(con, SCHEMA) if t.startswith("_dalgo_stage")] == []


def test_cancel_interrupts_a_long_duckdb_scan(con: duckdb.DuckDBPyConnection) -> None:
    class SlowScan(FakeConnector):
        def read(self, config, stream, state, ctx):  # type: ignore[no-untyped-def]
            yield Batch(
                stream.name, SqlScan("SELECT sum(a.range * b.range) AS total FROM range(100000000) a, range(1000) b")
            )

    sync(con, FakeConnector({"people": [people(0, 3)]}), [ConfiguredStream("people")])
    ctx = ReadContext()
    threading.Timer(0.3, ctx.cancel_event.set).start()
    with pytest.raises(Cancelled):
        sync(con, SlowScan({}), [ConfiguredStream("people")], ctx)
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.people") == [(3,)]


def test_dedup_keeps_latest_cursor_within_and_across_batches(con: duckdb.DuckDBPyConnection) -> None:
    stream = ConfiguredStream("cases", SyncMode.incremental_dedup, cursor_field="updated_at", primary_key=["id"])
    first = [
        {"id": 1, "status": "closed", "updated_at": "2024-03-02T10:00:00Z"},
        {"id": 1, "status": "open", "updated_at": "2024-03-01T10:00:00Z"},
        {"id": 2, "status": "open", "updated_at": "2024-03-01T09:00:00Z"},
    ]
    sync(con, FakeConnector({"cases": [first]}), [stream])
    assert rows(con, f"SELECT id, status FROM {SCHEMA}.cases ORDER BY id") == [(1, "closed"), (2, "open")]

    late = [
        {"id": 1, "status": "stale copy", "updated_at": "2024-02-01T00:00:00Z"},  # older than what we hold
        {"id": 2, "status": "closed", "updated_at": "2024-03-05T00:00:00+02:00"},
        {"id": 3, "status": "new", "updated_at": "2024-03-05T00:00:00Z"},
    ]
    result = sync(con, FakeConnector({"cases": [first, late]}), [stream], batch_id="b2")  # resumes at page 1
    assert rows(con, f"SELECT id, status FROM {SCHEMA}.cases ORDER BY id") == [(1, "closed"), (2, "closed"), (3, "new")]
    state = get_state(con, SCHEMA, "cases")
    assert state is not None and state["cursor"].startswith("2024-03-05 00:00:00")
    assert state["cursor_kind"] == "temporal" and result.streams["cases"].rows == 3


def test_dedup_replaces_child_rows_of_updated_parents(con: duckdb.DuckDBPyConnection) -> None:
    class Nested(FakeConnector):
        def read(self, config, stream, state, ctx):  # type: ignore[no-untyped-def]
            page = self.pages[stream.name][0]
            tables = records_to_tables(stream.name, page, key_field="id")
            for index, (table, table_rows) in enumerate(tables.items()):
                last = index == len(tables) - 1
                yield Batch(table, rows_to_arrow(table_rows), state={"v": 1} if last else None)

    stream = ConfiguredStream("survey", SyncMode.incremental_dedup, primary_key=["id"])
    v1 = [{"id": 1, "members": [{"name": "a"}, {"name": "b"}]}, {"id": 2, "members": [{"name": "c"}]}]
    sync(con, Nested({"survey": [v1]}), [stream])
    v2 = [{"id": 1, "members": [{"name": "a2"}]}]
    result = sync(con, Nested({"survey": [v2]}), [stream], batch_id="b2")
    assert result.tables_written == [f"{SCHEMA}.survey", f"{SCHEMA}.survey__members"]
    children = rows(con, f"SELECT _dalgo_parent_id, name FROM {SCHEMA}.survey__members ORDER BY 1, 2")
    assert children == [("1", "a2"), ("2", "c")]


def test_dedup_without_primary_key_is_a_config_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ConfigError, match="no primary key"):
        sync(con, FakeConnector({"people": [people(0, 2)]}), [ConfiguredStream("people", SyncMode.incremental_dedup)])


def test_malformed_cursor_names_stream_column_and_example(con: duckdb.DuckDBPyConnection) -> None:
    page = [{"id": 1, "seen": "2024-01-01"}, {"id": 2, "seen": "not-a-date"}]
    stream = ConfiguredStream("visits", SyncMode.incremental_append, cursor_field="seen")
    with pytest.raises(BadInputError) as err:
        sync(con, FakeConnector({"visits": [page]}), [stream])
    assert "visits" in err.value.message and "'seen'" in err.value.message and "not-a-date" in err.value.message
    assert not loader.table_exists(con, SCHEMA, "visits")


def test_schema_evolution_adds_widens_and_keeps_columns(con: duckdb.DuckDBPyConnection) -> None:
    stream = ConfiguredStream("scores", SyncMode.incremental_append)
    first = [{"id": 1, "name": "a", "score": 42}]
    sync(con, FakeConnector({"scores": [first]}), [stream])
    second = [{"id": 2, "score": "n/a", "email": "x@y.org"}]
    result = sync(con, FakeConnector({"scores": [first, second]}), [stream], batch_id="b2")
    kinds = {(c["kind"], c["column"]): c for c in result.schema_changes}
    assert set(kinds) == {("added", "email"), ("type_changed", "score"), ("removed", "name")}
    assert (kinds["type_changed", "score"]["old_type"], kinds["type_changed", "score"]["new_type"]) == (
        "BIGINT",
        "VARCHAR",
    )
    assert rows(con, f"SELECT id, name, score, email FROM {SCHEMA}.scores ORDER BY id") == [
        (1, "a", "42", None),
        (2, None, "n/a", "x@y.org"),
    ]


def test_full_refresh_never_narrows_and_keeps_removed_columns(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, FakeConnector({"t": [[{"id": 1, "code": "A1", "age": 3, "city": "Pune"}]]}), [ConfiguredStream("t")])
    v2 = [{"id": 2, "code": 7, "age": 4.5}]
    result = sync(con, FakeConnector({"t": [v2]}), [ConfiguredStream("t")], batch_id="b2")
    types = dict(rows(con, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't'"))
    assert (types["code"], types["age"], types["city"]) == ("VARCHAR", "DOUBLE", "VARCHAR")
    assert rows(con, f"SELECT id, code, age, city FROM {SCHEMA}.t") == [(2, "7", 4.5, None)]
    changes = {(c["kind"], c["column"]) for c in result.schema_changes}
    assert changes == {("type_changed", "age"), ("removed", "city")}


def test_single_added_and_removed_column_is_reported_as_rename(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, FakeConnector({"t": [[{"id": 1, "village": "A"}]]}), [ConfiguredStream("t")])
    result = sync(con, FakeConnector({"t": [[{"id": 2, "village_name": "B"}]]}), [ConfiguredStream("t")])
    assert [(c["kind"], c["column"]) for c in result.schema_changes] == [("renamed", "village_name")]
    assert "village" in result.schema_changes[0]["message"]


def test_batches_with_mixed_types_in_one_full_refresh_widen_the_stage(con: duckdb.DuckDBPyConnection) -> None:
    pages = [[{"id": 1, "v": 1}], [{"id": 2, "v": "two"}], [{"id": 3, "w": True}]]
    result = sync(con, FakeConnector({"t": pages}), [ConfiguredStream("t")])
    assert rows(con, f"SELECT id, v, w FROM {SCHEMA}.t ORDER BY id") == [
        (1, "1", None),
        (2, "two", None),
        (3, None, True),
    ]
    assert result.schema_changes == []  # a first load changes nothing the user had


def test_all_null_column_does_not_change_the_type(con: duckdb.DuckDBPyConnection) -> None:
    stream = ConfiguredStream("t", SyncMode.incremental_append)
    sync(con, FakeConnector({"t": [[{"id": 1, "when": "2024-01-01"}]]}), [stream])
    nulls = pa.table({"id": [2], "when": pa.array([None], type=pa.null())})

    class NullPage(FakeConnector):
        def read(self, config, stream, state, ctx):  # type: ignore[no-untyped-def]
            yield Batch("t", nulls, state={"page": 9})

    result = sync(con, NullPage({}), [stream])
    assert result.schema_changes == []
    assert rows(con, f'SELECT id, "when" FROM {SCHEMA}.t ORDER BY id') == [(1, "2024-01-01"), (2, None)]
