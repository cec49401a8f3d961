"""File connectors end to end: upload → discover → run_sync into a DuckDB warehouse, and every bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.connectors import get_connector
from pipelines.connectors.base import ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.files import CsvConnector, ExcelConnector, JsonConnector, ParquetConnector
from pipelines.duckdb_conn import connect
from pipelines.errors import BadInputError, ConfigError
from pipelines.ingest import SyncResult, get_state, run_sync

SCHEMA = "raw_files"


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def ctx(uploads: Path) -> ReadContext:
    return ReadContext(uploads_dir=uploads)


@pytest.fixture
def con(tmp_path: Path, extension_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "warehouse.duckdb", extension_dir=extension_dir)
    yield connection
    connection.close()


def upload(uploads: Path, name: str, content: bytes | str) -> str:
    upload_id = uuid.uuid4().hex
    folder = uploads / upload_id
    folder.mkdir()
    data = content.encode() if isinstance(content, str) else content
    (folder / name).write_bytes(data)
    return upload_id


def sync(
    con: duckdb.DuckDBPyConnection,
    connector: Any,
    config: dict[str, Any],
    ctx: ReadContext,
    stream: str,
    mode: SyncMode = SyncMode.full_refresh,
    **options: Any,
) -> SyncResult:
    configured = ConfiguredStream(stream, mode, **options)
    return run_sync(connector, config, [configured], con=con, schema=SCHEMA, ctx=ctx, batch_id=uuid.uuid4().hex[:8])


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def originals(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(
        rows(con, f"SELECT column_name, original_name FROM {SCHEMA}._dalgo_columns WHERE table_name = '{table}'")
    )


VISITS = "Visit ID,Village Name,Household Size,Visited At,Score\n" + "".join(
    f"{i},village {i % 7},{i % 9},2024-01-{1 + i % 28:02d} 10:00:00,{i * 1.5}\n" for i in range(1, 41)
)


# -- CSV ----------------------------------------------------------------------------------------------


def test_csv_discover_reports_types_keys_and_cursors(uploads: Path, ctx: ReadContext) -> None:
    config = {"upload_id": upload(uploads, "Field Visits 2024.csv", VISITS)}
    [stream] = CsvConnector().discover(config, ctx)
    assert stream.name == "field_visits_2024"
    types = {c.name: c.type for c in stream.columns}
    assert types == {
        "visit_id": "BIGINT",
        "village_name": "VARCHAR",
        "household_size": "BIGINT",
        "visited_at": "TIMESTAMP",
        "score": "DOUBLE",
    }
    assert {c.name: c.original_name for c in stream.columns}["village_name"] == "Village Name"
    assert stream.primary_key_candidates == ["visit_id"] and stream.primary_key == ["visit_id"]
    assert stream.cursor_candidates == ["visited_at", "visit_id"] and stream.default_cursor == "visited_at"
    assert SyncMode.incremental_dedup in stream.supported_sync_modes


def test_csv_sync_loads_rows_with_original_names(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    config = {"upload_id": upload(uploads, "visits.csv", VISITS)}
    result = sync(con, CsvConnector(), config, ctx, "visits")
    assert result.streams["visits"].rows == 40 and result.warnings == []
    assert rows(con, f"SELECT count(*), sum(household_size), max(visited_at) FROM {SCHEMA}.visits") == [
        (40, sum(i % 9 for i in range(1, 41)), dt.datetime(2024, 1, 28, 10, 0))
    ]
    assert originals(con, "visits")["household_size"] == "Household Size"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("semi.csv", 'a;b\n1;"x;y"\n2;z\n', [(1, "x;y"), (2, "z")]),
        ("tabs.tsv", "a\tb\n1\tx y\n2\tz\n", [(1, "x y"), (2, "z")]),
        ("pipes.csv", "a|b\n1|x\n2|y\n", [(1, "x"), (2, "y")]),
        ("crlf.csv", 'a,b\r\n1,"two\r\nlines"\r\n2,y\r\n', [(1, "two\r\nlines"), (2, "y")]),
    ],
)
def test_csv_delimiters_and_quoting_are_sniffed(
    uploads: Path,
    ctx: ReadContext,
    con: duckdb.DuckDBPyConnection,
    name: str,
    text: str,
    expected: list[tuple[Any, ...]],
) -> None:
    sync(con, CsvConnector(), {"upload_id": upload(uploads, name, text)}, ctx, "t")
    assert rows(con, f"SELECT a, b FROM {SCHEMA}.t ORDER BY a") == expected


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8 bom", "\ufeffNäme,Città\nÉlodie,Paris €\n".encode("utf-8")),
        ("utf-16 le bom", "Näme,Città\nÉlodie,Paris €\n".encode("utf-16")),
        ("utf-16 be bom", b"\xfe\xff" + "Näme,Città\nÉlodie,Paris €\n".encode("utf-16-be")),
        ("windows-1252", "Näme,Città\nÉlodie,Paris €\n".encode("cp1252")),
    ],
)
def test_csv_encodings_are_detected(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection, label: str, data: bytes
) -> None:
    sync(con, CsvConnector(), {"upload_id": upload(uploads, "people.csv", data)}, ctx, "people")
    assert rows(con, f"SELECT name, citta FROM {SCHEMA}.people") == [("Élodie", "Paris €")], label
    assert originals(con, "people")["name"] == "Näme"


def test_latin1_is_read_natively_and_converted_copies_stay_in_the_upload_dir(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    latin = upload(uploads, "l1.csv", "name\nçà\n".encode("latin-1"))
    cp1252 = upload(uploads, "w.csv", "name\n“quoted”\n".encode("cp1252"))
    sync(con, CsvConnector(), {"upload_id": latin}, ctx, "l1")
    assert sorted(p.name for p in (uploads / latin).iterdir()) == ["l1.csv"]  # DuckDB read Latin-1 as is
    sync(con, CsvConnector(), {"upload_id": cp1252}, ctx, "w")
    copies = [p.name for p in (uploads / cp1252).iterdir() if p.name.startswith(".dalgo-")]
    assert len(copies) == 1
    assert rows(con, f"SELECT name FROM {SCHEMA}.w") == [("“quoted”",)]
    assert CsvConnector().discover({"upload_id": cp1252}, ctx)[0].name == "w"  # the copy does not count as a 2nd file


def test_wrong_encoding_is_a_clear_error(uploads: Path, ctx: ReadContext) -> None:
    config = {"upload_id": upload(uploads, "l.csv", "name\nok\nçà\n".encode("latin-1")), "encoding": "utf-8"}
    with pytest.raises(BadInputError) as err:
        CsvConnector().check(config, ctx)
    assert "'l.csv' is not UTF-8" in err.value.message and "line 3" in err.value.message
    assert "Windows-1252" in (err.value.hint or "")


def test_bad_bytes_after_the_sample_switch_to_windows_1252(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    body = "id,name\n" + "".join(f"{i},plain ascii name {i}\n" for i in range(5000))
    data = body.encode() + "5000,Zoë “late”\n".encode("cp1252")
    result = sync(con, CsvConnector(), {"upload_id": upload(uploads, "late.csv", data)}, ctx, "late")
    assert rows(con, f"SELECT count(*), max(name) FILTER (WHERE id = 5000) FROM {SCHEMA}.late") == [
        (5001, "Zoë “late”")
    ]
    assert any("Windows-1252" in warning for warning in result.warnings)


def test_bad_bytes_past_the_sniffer_sample_are_found_by_the_scan(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    data = ("id,name\n" + "".join(f"{i},n{i}\n" for i in range(1, 60_000))).encode() + "60000,Zoë “late”\n".encode(
        "cp1252"
    )
    result = sync(con, CsvConnector(), {"upload_id": upload(uploads, "deep.csv", data)}, ctx, "deep")
    assert rows(con, f"SELECT count(*), max(name) FILTER (WHERE id = 60000) FROM {SCHEMA}.deep") == [
        (60_000, "Zoë “late”")
    ]
    assert any("line 60001" in w and "Windows-1252" in w for w in result.warnings)  # DuckDB rejected it mid-scan


def test_latin1_with_a_windows_quote_far_down_is_read_as_windows_1252(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    data = (
        "id,name\n1,é\n".encode("latin-1")
        + "".join(f"{i},n\n" for i in range(2, 30_000)).encode()
        + b"30000,\x93q\x94\n"
    )
    sync(con, CsvConnector(), {"upload_id": upload(uploads, "w.csv", data)}, ctx, "w")
    assert rows(con, f"SELECT name FROM {SCHEMA}.w WHERE id IN (1, 30000) ORDER BY id") == [("é",), ("“q”",)]


def test_ragged_rows_are_kept_and_reported(uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection) -> None:
    text = "id,name,score\n1,a,10\n2,b\n3,c,30,EXTRA\n" + "".join(f"{i},n,{i}\n" for i in range(4, 100))
    result = sync(con, CsvConnector(), {"upload_id": upload(uploads, "ragged.csv", text)}, ctx, "ragged")
    [warning] = result.warnings
    assert "2 ragged row(s)" in warning and "line 3, 4" in warning and "ragged.csv" in warning
    assert rows(con, f"SELECT id, name, score, column_4 FROM {SCHEMA}.ragged WHERE id <= 3 ORDER BY id") == [
        (1, "a", 10, None),
        (2, "b", None, None),
        (3, "c", 30, "EXTRA"),
    ]
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.ragged") == [(99,)]


def test_values_longer_than_duckdbs_default_line_limit(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    text = "id,doc\n0," + "x" * 2_200_000 + "\n" + "".join(f"{i},short\n" for i in range(1, 1000))
    sync(con, CsvConnector(), {"upload_id": upload(uploads, "essay.csv", text)}, ctx, "docs")
    assert rows(con, f"SELECT count(*), max(length(doc)) FROM {SCHEMA}.docs") == [(1000, 2_200_000)]


def test_text_in_a_number_column_after_the_sniff_sample_is_kept_as_text(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    text = "id,amount\n" + "".join(f"{i},{i * 10}\n" for i in range(30_000)) + "30000,n/a\n"
    result = sync(con, CsvConnector(), {"upload_id": upload(uploads, "amounts.csv", text)}, ctx, "amounts")
    assert rows(con, f"SELECT count(*), typeof(any_value(amount)) FROM {SCHEMA}.amounts") == [(30_001, "VARCHAR")]
    assert rows(con, f"SELECT amount FROM {SCHEMA}.amounts WHERE id IN (7, 30000) ORDER BY id") == [("70",), ("n/a",)]
    assert any("amount" in w and "n/a" in w for w in result.warnings)


def test_duplicate_and_empty_column_names_are_normalised_and_kept(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    sync(
        con, CsvConnector(), {"upload_id": upload(uploads, "dups.csv", "Name,name,,Age (yrs)\nA,B,C,3\n")}, ctx, "dups"
    )
    assert rows(con, f"SELECT name, name_2, column_3, age_yrs FROM {SCHEMA}.dups") == [("A", "B", "C", 3)]
    assert originals(con, "dups") | {} == {
        "name": "Name",
        "name_2": "name",
        "column_3": "",
        "age_yrs": "Age (yrs)",
        "_dalgo_loaded_at": "_dalgo_loaded_at",
        "_dalgo_batch_id": "_dalgo_batch_id",
    }


def test_ten_thousand_columns(uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection) -> None:
    header = ",".join(f"q{i}" for i in range(10_000))
    line = ",".join(str(i) for i in range(10_000))
    sync(con, CsvConnector(), {"upload_id": upload(uploads, "wide.csv", f"{header}\n{line}\n{line}\n")}, ctx, "wide")
    assert rows(con, f"SELECT count(*), sum(q9999) FROM {SCHEMA}.wide") == [(2, 19_998)]
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}._dalgo_columns WHERE table_name = 'wide'") == [(10_002,)]


def test_header_only_file_is_a_table_with_no_rows(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    result = sync(con, CsvConnector(), {"upload_id": upload(uploads, "empty_form.csv", "id,name,when\n")}, ctx, "form")
    assert result.streams["form"].rows == 0
    assert [r[0] for r in rows(con, f"DESCRIBE {SCHEMA}.form")][:3] == ["id", "name", "when"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "is empty"),
        (b"\n\n  \r\n", "is empty"),
        (os.urandom(4096).replace(b"PK", b"pk").replace(b"\x1f\x8b", b"xx"), "binary data"),
        (b"PK\x03\x04" + os.urandom(200), "ZIP archive"),
        (b"%PDF-1.7\n" + os.urandom(200), "PDF"),
    ],
)
def test_junk_csv_is_refused_with_a_clear_message(uploads: Path, ctx: ReadContext, content: bytes, needle: str) -> None:
    config = {"upload_id": upload(uploads, "data.csv", content)}
    with pytest.raises(BadInputError) as err:
        CsvConnector().check(config, ctx)
    assert needle in err.value.message and "data.csv" in err.value.message and err.value.hint


def test_bad_csv_leaves_previous_table_intact(uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection) -> None:
    sync(con, CsvConnector(), {"upload_id": upload(uploads, "v.csv", VISITS)}, ctx, "visits")
    with pytest.raises(BadInputError):
        sync(
            con,
            CsvConnector(),
            {"upload_id": upload(uploads, "v.csv", os.urandom(3000).replace(b"PK", b"pk"))},
            ctx,
            "visits",
        )
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.visits") == [(40,)]


def test_size_limit_is_checked_before_reading(uploads: Path, tmp_path: Path) -> None:
    upload_id = upload(uploads, "huge.csv", b"")
    with (uploads / upload_id / "huge.csv").open("r+b") as handle:
        handle.truncate(2 * 1024**3)  # a sparse 2 GB file: no disk used, nothing read
    ctx = ReadContext(uploads_dir=uploads, max_upload_bytes=1024**3)
    with pytest.raises(BadInputError) as err:
        CsvConnector().check({"upload_id": upload_id}, ctx)
    assert err.value.message == "File 'huge.csv' is 2.0 GB, larger than the 1.0 GB limit"
    small = ReadContext(uploads_dir=uploads, max_upload_bytes=100)
    with pytest.raises(BadInputError, match="larger than the 100 bytes limit"):
        CsvConnector().check({"upload_id": upload(uploads, "v.csv", VISITS)}, small)


def test_local_paths_only_in_desktop_mode(uploads: Path, tmp_path: Path) -> None:
    local = tmp_path / "mine.csv"
    local.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="not allowed"):
        CsvConnector().check({"path": str(local)}, ReadContext(uploads_dir=uploads))
    [stream] = CsvConnector().discover({"path": str(local)}, ReadContext(allow_local_paths=True))
    assert stream.name == "mine"


@pytest.mark.parametrize("upload_id", ["../etc", "missing", "", "a/b"])
def test_unknown_or_unsafe_upload_ids_are_config_errors(ctx: ReadContext, upload_id: str) -> None:
    with pytest.raises(ConfigError):
        CsvConnector().check({"upload_id": upload_id}, ctx)


def test_incremental_csv_appends_only_rows_after_the_cursor(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    v1 = "id,updated\n1,2024-01-01\n2,2024-01-02\n"
    v2 = v1 + "3,2024-01-03\n4,2024-01-04\n"
    options = {"cursor_field": "updated"}
    sync(
        con,
        CsvConnector(),
        {"upload_id": upload(uploads, "log.csv", v1)},
        ctx,
        "log",
        SyncMode.incremental_append,
        **options,
    )
    result = sync(
        con,
        CsvConnector(),
        {"upload_id": upload(uploads, "log v2.csv", v2)},
        ctx,
        "log",
        SyncMode.incremental_append,
        **options,
    )
    assert result.streams["log"].rows == 2
    assert rows(con, f"SELECT id FROM {SCHEMA}.log ORDER BY id") == [(1,), (2,), (3,), (4,)]
    state = get_state(con, SCHEMA, "log")
    assert state is not None and state["cursor"].startswith("2024-01-04")


def test_incremental_without_cursor_skips_an_already_loaded_file(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    config = {"upload_id": upload(uploads, "v.csv", VISITS)}
    sync(con, CsvConnector(), config, ctx, "visits", SyncMode.incremental_append)
    again = sync(con, CsvConnector(), config, ctx, "visits", SyncMode.incremental_append)
    assert again.streams["visits"].rows == 0
    sync(
        con, CsvConnector(), {"upload_id": upload(uploads, "v.csv", VISITS)}, ctx, "visits", SyncMode.incremental_append
    )
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.visits") == [(80,)]


def test_dedup_csv_keeps_latest_row_per_key(uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection) -> None:
    text = "case_id,status,updated\nc1,open,2024-01-01\nc1,closed,2024-01-05\nc2,open,2024-01-02\n"
    opts = {"primary_key": ["case_id"], "cursor_field": "updated"}
    sync(
        con,
        CsvConnector(),
        {"upload_id": upload(uploads, "cases.csv", text)},
        ctx,
        "cases",
        SyncMode.incremental_dedup,
        **opts,
    )
    assert rows(con, f"SELECT case_id, status FROM {SCHEMA}.cases ORDER BY 1") == [("c1", "closed"), ("c2", "open")]


def test_reuploaded_file_with_another_name_replaces_the_same_table(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    sync(con, CsvConnector(), {"upload_id": upload(uploads, "visits.csv", VISITS)}, ctx, "visits")
    sync(
        con,
        CsvConnector(),
        {"upload_id": upload(uploads, "visits (final).csv", "Visit ID,Score\n1,2.5\n")},
        ctx,
        "visits",
    )
    assert rows(con, f"SELECT visit_id, score, village_name FROM {SCHEMA}.visits") == [(1, 2.5, None)]


# -- Excel --------------------------------------------------------------------------------------------


def make_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Household Survey"
    ws.append(["Monthly field report", None, None, None, None])
    ws.append([None] * 5)
    ws.append(["Household", None, None, "Respondent", None])
    ws.append(["Size", "Income", "Head", "Name", "Visited"])
    ws.append([3, 100.5, "yes", "Ann", dt.datetime(2024, 1, 2, 3, 4)])
    ws.append([4, "n/a", "no", "Bob", dt.datetime(2024, 1, 3)])
    for i in range(30):
        ws.append([i, i * 1.5, "x", f"p{i}", dt.datetime(2024, 2, 1) + dt.timedelta(days=i)])
    ws.merge_cells("A3:C3")
    ws.merge_cells("D3:E3")
    for row in range(41, 1101):
        ws.cell(row=row, column=1, value=row)
    ws.cell(row=1100, column=8, value="late note")  # right of everything sampled, below the sample
    other = wb.create_sheet("Staff List")
    other.append(["Staff ID", "Joined", "Active"])
    other.append([1, dt.date(2020, 5, 1), True])
    other.append([2, dt.date(2021, 6, 2), False])
    wb.create_sheet("Empty")
    wb.save(path)


def test_excel_sheets_headers_and_types(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    make_workbook(tmp_path / "book.xlsx")
    config = {"upload_id": upload(uploads, "book.xlsx", (tmp_path / "book.xlsx").read_bytes())}
    streams = {s.name: s for s in ExcelConnector().discover(config, ctx)}
    assert list(streams) == ["household_survey", "staff_list"]
    survey = [c.name for c in streams["household_survey"].columns]
    assert survey == ["household_size", "household_income", "household_head", "respondent_name", "respondent_visited"]
    assert streams["staff_list"].primary_key == ["staff_id"]

    sync(con, ExcelConnector(), config, ctx, "household_survey")
    types = dict(rows(con, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'household_survey'"))
    assert (types["household_size"], types["household_income"], types["respondent_visited"]) == (
        "BIGINT",
        "VARCHAR",
        "TIMESTAMP",
    )
    assert rows(
        con, f"SELECT household_size, household_income, respondent_visited FROM {SCHEMA}.household_survey LIMIT 2"
    ) == [
        (3, "100.5", dt.datetime(2024, 1, 2, 3, 4)),
        (4, "n/a", dt.datetime(2024, 1, 3)),
    ]
    assert rows(con, f"SELECT count(*), count(column_8) FROM {SCHEMA}.household_survey") == [(32 + 1060, 1)]
    assert rows(con, f"SELECT column_8 FROM {SCHEMA}.household_survey WHERE column_8 IS NOT NULL") == [("late note",)]
    assert originals(con, "household_survey")["respondent_name"] == "Respondent_Name"

    sync(con, ExcelConnector(), config, ctx, "staff_list")
    assert rows(con, f"SELECT staff_id, joined, active FROM {SCHEMA}.staff_list ORDER BY 1") == [
        (1, dt.date(2020, 5, 1), True),
        (2, dt.date(2021, 6, 2), False),
    ]


def test_xlsx_that_is_really_html_is_refused(uploads: Path, ctx: ReadContext) -> None:
    html = "<html><body><table><tr><td>id</td></tr><tr><td>1</td></tr></table></body></html>"
    with pytest.raises(BadInputError) as err:
        ExcelConnector().check({"upload_id": upload(uploads, "export.xlsx", html)}, ctx)
    assert "'export.xlsx' is named like an Excel file but is an HTML page" in err.value.message
    assert "Save As" in (err.value.hint or "")


def test_renamed_single_sheet_is_followed_with_a_warning(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Data 2025"
    wb.active.append(["id", "v"])
    wb.active.append([1, "a"])
    wb.save(tmp_path / "r.xlsx")
    result = sync(
        con,
        ExcelConnector(),
        {"upload_id": upload(uploads, "r.xlsx", (tmp_path / "r.xlsx").read_bytes())},
        ctx,
        "data_2024",
    )
    assert rows(con, f"SELECT id, v FROM {SCHEMA}.data_2024") == [(1, "a")]
    assert any("renamed" in w and "Data 2025" in w for w in result.warnings)


def test_excel_header_only_sheet_and_missing_sheet(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Form"
    wb.active.append(["Respondent", "Village", "Date"])
    wb.create_sheet("Notes").append(["text", "more"])
    wb.save(tmp_path / "f.xlsx")
    config = {"upload_id": upload(uploads, "f.xlsx", (tmp_path / "f.xlsx").read_bytes())}
    result = sync(con, ExcelConnector(), config, ctx, "form")
    assert result.streams["form"].rows == 0
    assert [r[0] for r in rows(con, f"DESCRIBE {SCHEMA}.form")][:3] == ["respondent", "village", "date"]
    with pytest.raises(BadInputError) as err:
        sync(con, ExcelConnector(), config, ctx, "gone")
    assert "no sheet for stream 'gone'" in err.value.message and "'Form'" in err.value.message


def test_csv_options_header_no_and_skip_rows(uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection) -> None:
    text = "Exported by KoBo\nDo not edit\n1,a\n2,b\n"
    config = {"upload_id": upload(uploads, "raw.csv", text), "header": "no", "skip_rows": 2}
    sync(con, CsvConnector(), config, ctx, "raw")
    assert rows(con, f"SELECT column_1, column_2 FROM {SCHEMA}.raw ORDER BY 1") == [(1, "a"), (2, "b")]


# -- JSON ---------------------------------------------------------------------------------------------

SURVEYS = [
    {
        "id": 1,
        "meta": {"device": "tab-1", "start": "2024-01-01T10:00:00Z"},
        "members": [{"name": "A", "age": 30}, {"name": "B", "age": 4}],
    },
    {"id": 2, "meta": {"device": "tab-2", "start": "2024-01-02T10:00:00Z"}, "members": [{"name": "C", "age": 50}]},
]


def test_json_array_flattens_objects_and_splits_child_tables(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    config = {"upload_id": upload(uploads, "surveys.json", json.dumps(SURVEYS))}
    [stream] = JsonConnector().discover(config, ctx)
    assert {c.name for c in stream.columns} >= {"id", "meta_device", "meta_start"} or {
        c.name for c in stream.columns
    } >= {"id", "meta__device"}
    assert stream.children == ["surveys__members"]
    result = sync(con, JsonConnector(), config, ctx, "surveys", SyncMode.incremental_dedup, primary_key=["id"])
    assert result.tables_written == [f"{SCHEMA}.surveys", f"{SCHEMA}.surveys__members"]
    assert rows(con, f"SELECT id, meta_device FROM {SCHEMA}.surveys ORDER BY id") == [(1, "tab-1"), (2, "tab-2")]
    assert originals(con, "surveys")["meta_device"] == "meta__device"
    assert rows(con, f"SELECT _dalgo_parent_id, name FROM {SCHEMA}.surveys__members ORDER BY 1, 2") == [
        ("1", "A"),
        ("1", "B"),
        ("2", "C"),
    ]


def test_json_object_with_records_path(uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection) -> None:
    doc = {"count": 2, "results": {"items": SURVEYS}}
    config = {"upload_id": upload(uploads, "api.json", json.dumps(doc)), "records_path": "results.items"}
    sync(con, JsonConnector(), config, ctx, "api")
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.api") == [(2,)]
    only_list = {"upload_id": upload(uploads, "one.json", json.dumps({"meta": {"n": 2}, "data": SURVEYS}))}
    sync(con, JsonConnector(), only_list, ctx, "one")
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.one__members") == [(3,)]


def test_ndjson_invalid_line_names_the_line_and_loads_nothing(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    good = "\n".join(json.dumps(record) for record in SURVEYS)
    sync(con, JsonConnector(), {"upload_id": upload(uploads, "s.ndjson", good + "\n")}, ctx, "s")
    broken = good + '\n{"id": 3, "meta": {"device": "tab-3"},}\n'
    with pytest.raises(BadInputError) as err:
        sync(con, JsonConnector(), {"upload_id": upload(uploads, "s.ndjson", broken)}, ctx, "s")
    assert "'s.ndjson': line 3 is not valid JSON" in err.value.message
    assert rows(con, f"SELECT count(*) FROM {SCHEMA}.s") == [(2,)]


def test_ndjson_streams_in_batches(uploads: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = "".join(json.dumps({"id": i, "tags": [{"t": "x"}]}) + "\n" for i in range(250))
    seen: list[dict[str, Any]] = []
    ctx = ReadContext(uploads_dir=uploads, batch_rows=100, progress=seen.append)
    result = sync(con, JsonConnector(), {"upload_id": upload(uploads, "big.ndjson", lines)}, ctx, "big")
    assert result.streams["big"].rows_by_table == {"big": 250, "big__tags": 250}
    assert len(seen) == 6  # 3 batches x (parent + child)
    assert rows(con, f"SELECT count(DISTINCT _dalgo_parent_id) FROM {SCHEMA}.big__tags") == [(250,)]


def test_json_incremental_reads_only_newer_records(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection
) -> None:
    def doc(count: int) -> str:
        return "\n".join(
            json.dumps({"id": i, "submitted": f"2024-02-{i:02d}T08:00:00+01:00"}) for i in range(1, count + 1)
        )

    options = {"cursor_field": "submitted"}
    sync(
        con,
        JsonConnector(),
        {"upload_id": upload(uploads, "s.ndjson", doc(3))},
        ctx,
        "s",
        SyncMode.incremental_append,
        **options,
    )
    result = sync(
        con,
        JsonConnector(),
        {"upload_id": upload(uploads, "s.ndjson", doc(5))},
        ctx,
        "s",
        SyncMode.incremental_append,
        **options,
    )
    assert result.streams["s"].rows == 2
    assert rows(con, f"SELECT count(*), count(DISTINCT id) FROM {SCHEMA}.s") == [(5, 5)]


# -- Parquet --------------------------------------------------------------------------------------------


def test_parquet_loads_with_normalised_names(
    uploads: Path, ctx: ReadContext, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    table = pa.table(
        {"Case ID": [1, 2, 3], "Opened On": [dt.date(2024, 1, d) for d in (1, 2, 3)], "Notes ": ["a", None, "c"]}
    )
    pq.write_table(table, tmp_path / "cases.parquet")
    config = {"upload_id": upload(uploads, "cases.parquet", (tmp_path / "cases.parquet").read_bytes())}
    [stream] = ParquetConnector().discover(config, ctx)
    assert [c.name for c in stream.columns] == ["case_id", "opened_on", "notes"]
    assert stream.primary_key == ["case_id"] and "opened_on" in stream.cursor_candidates
    sync(con, ParquetConnector(), config, ctx, "cases")
    assert rows(con, f"SELECT case_id, opened_on, notes FROM {SCHEMA}.cases ORDER BY 1") == [
        (1, dt.date(2024, 1, 1), "a"),
        (2, dt.date(2024, 1, 2), None),
        (3, dt.date(2024, 1, 3), "c"),
    ]
    assert originals(con, "cases")["notes"] == "Notes "


def test_parquet_junk_is_refused(uploads: Path, ctx: ReadContext) -> None:
    with pytest.raises(BadInputError, match="not a readable Parquet file"):
        ParquetConnector().check({"upload_id": upload(uploads, "x.parquet", b"not parquet at all")}, ctx)


# -- spec and registry -------------------------------------------------------------------------------


@pytest.mark.parametrize("connector_type", ["csv", "excel", "json", "parquet"])
def test_specs_have_titles_help_and_defaults(connector_type: str) -> None:
    connector = get_connector(connector_type)
    assert connector.type == connector_type
    spec = connector.spec()
    assert spec["type"] == "object" and spec["title"]
    for name, prop in spec["properties"].items():
        assert prop.get("title") and prop.get("description"), name
        if name not in ("upload_id", "path"):
            assert "default" in prop, name


def test_csv_spec_defaults() -> None:
    props = CsvConnector().spec()["properties"]
    assert (
        props["delimiter"]["default"],
        props["header"]["default"],
        props["encoding"]["default"],
        props["skip_rows"]["default"],
    ) == (
        "auto",
        "auto",
        "auto",
        0,
    )
