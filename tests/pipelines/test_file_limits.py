"""A user's file cannot make the reader exhaust memory: bombs are refused by name and limit, real files still load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipelines.connectors.base import ReadContext
from pipelines.connectors.files import CsvConnector, ExcelConnector, JsonConnector
from pipelines.connectors.filetypes.limits import FileLimits, reader_connection
from pipelines.errors import BadInputError
from pipelines.limited import run_limited
from tests.pipelines.xlsx_bombs import inline_cell_workbook, plain_workbook, shared_string_bomb, write_xlsx

UNCHECKED = FileLimits(  # every pre-check off: only the memory net is left
    max_cell_chars=10**12,
    max_compression_ratio=10**9,
    max_shared_strings_mb=10**6,
    sample_text_chars=10**15,
)


def ctx_for(limits: FileLimits | None = None) -> ReadContext:
    return ReadContext(allow_local_paths=True, file_limits=limits or FileLimits())


def discover(connector: object, path: Path, limits: FileLimits | None = None, **options: object) -> list:  # type: ignore[type-arg]
    return connector.discover({"path": str(path), **options}, ctx_for(limits))  # type: ignore[attr-defined]


# --- Excel -----------------------------------------------------------------------------------------


def test_the_109_kb_workbook_that_killed_the_server_is_refused_before_it_is_read(tmp_path: Path) -> None:
    bomb = shared_string_bomb(tmp_path / "survey.xlsx", chars=100_000_000, rows=2000)
    assert bomb.stat().st_size < 200_000  # small on disk, 200 GB once every cell holds its own copy
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), bomb)
    assert "'survey.xlsx'" in refused.value.message
    assert "xl/sharedStrings.xml" in refused.value.message and "200x" in refused.value.message


def test_a_shared_text_longer_than_excel_allows_is_refused_even_when_it_compresses_modestly(tmp_path: Path) -> None:
    bomb = shared_string_bomb(tmp_path / "notes.xlsx", chars=40_000, rows=50)
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), bomb)
    assert "'notes.xlsx' has a cell" in refused.value.message
    assert "32,767 characters" in refused.value.message


def test_a_cell_of_exactly_excels_limit_reads(tmp_path: Path) -> None:
    book = shared_string_bomb(tmp_path / "long.xlsx", chars=32_767, rows=20)
    [stream] = discover(ExcelConnector(), book)
    assert [c.name for c in stream.columns] == ["notes"]


def test_an_inline_cell_longer_than_excel_allows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), inline_cell_workbook(tmp_path / "inline.xlsx", 300_000))
    assert "sheet 'Survey'" in refused.value.message and "32,767" in refused.value.message


def test_a_zip_bomb_part_is_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    book = plain_workbook(tmp_path / "padded.xlsx", extra={"xl/media/image1.png": "\0" * (40 * 1024 * 1024)})
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), book)
    assert "xl/media/image1.png" in refused.value.message
    assert "times larger than it is stored" in refused.value.message


def test_a_workbook_of_too_many_parts_is_refused(tmp_path: Path) -> None:
    book = plain_workbook(tmp_path / "parts.xlsx", extra={f"xl/junk/{i}.xml": "<a/>" for i in range(10_001)})
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), book)
    assert "10,007 parts" in refused.value.message and "at most 10,000" in refused.value.message


def test_declared_sizes_past_the_unpacked_limit_are_refused(tmp_path: Path) -> None:
    book = plain_workbook(tmp_path / "big.xlsx", extra={"xl/media/a.bin": "x" * (3 * 1024 * 1024)})
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), book, dataclasses.replace(FileLimits(), max_uncompressed_mb=2))
    assert "unpacks to 3 MB" in refused.value.message and "at most 2 MB unpacked" in refused.value.message


def test_a_normal_workbook_still_discovers_and_its_limits_do_not_show(tmp_path: Path) -> None:
    [stream] = discover(ExcelConnector(), plain_workbook(tmp_path / "people.xlsx"))
    assert [(c.name, c.type) for c in stream.columns] == [("name", "VARCHAR"), ("age", "BIGINT")]


def test_many_cells_showing_one_long_text_are_sampled_within_the_text_budget(tmp_path: Path) -> None:
    # 20 columns x 300 rows x 30,000 characters = 180 million characters if every cell were copied
    book = shared_string_bomb(tmp_path / "wide_notes.xlsx", chars=30_000, rows=300, columns=20)
    _path, plans = ExcelConnector()._plans({"path": str(book)}, ctx_for())
    [plan] = plans
    sampled = sum(len(v) for row in plan.sample for v in row if isinstance(v, str))
    assert 0 < sampled <= FileLimits().sample_text_chars
    assert len(plan.sample) < 300  # the budget, not the sheet, ended the sample
    [stream] = discover(ExcelConnector(), book)
    assert len(stream.columns) == 20


def test_a_first_row_past_the_text_budget_is_refused(tmp_path: Path) -> None:
    book = shared_string_bomb(tmp_path / "row.xlsx", chars=1_000, rows=3, columns=10)
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), book, dataclasses.replace(FileLimits(), sample_text_chars=20))
    assert "Sheet 'Survey' of 'row.xlsx'" in refused.value.message


def test_a_damaged_shared_strings_part_is_a_plain_refusal(tmp_path: Path) -> None:
    sheet = '<worksheet xmlns="x"><sheetData/></worksheet>'
    book = write_xlsx(tmp_path / "broken.xlsx", sheet, [], shared_xml="<sst><si><t>unclosed")
    with pytest.raises(BadInputError) as refused:
        discover(ExcelConnector(), book)
    assert "'broken.xlsx' has a damaged list of texts" in refused.value.message


# --- JSON ------------------------------------------------------------------------------------------

DEEP = 10_000


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + '{"leaf":1' + "}" * depth


@pytest.mark.parametrize(
    ("name", "text", "options"),
    [
        ("deep.json", "[" + nested(DEEP) + "]", {}),
        ("deep.ndjson", '{"id": 1}\n' + nested(DEEP) + "\n", {}),
        ("deep_lists.json", "[" + "[" * DEEP + "]" * DEEP + "]", {"format": "array"}),
        ("wrapped.json", '{"data": [' + nested(DEEP) + "]}", {"records_path": "data"}),
    ],
)
def test_json_nested_ten_thousand_deep_is_refused_plainly(
    tmp_path: Path, name: str, text: str, options: dict[str, str]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(BadInputError) as refused:
        discover(JsonConnector(), path, **options)
    assert f"File '{name}'" in refused.value.message and "more than 64 levels" in refused.value.message


def test_json_at_the_depth_limit_reads_and_one_deeper_is_refused(tmp_path: Path) -> None:
    ok, deep = tmp_path / "ok.ndjson", tmp_path / "deep.ndjson"
    ok.write_text(nested(64) + "\n")
    deep.write_text(nested(65) + "\n")
    [stream] = discover(JsonConnector(), ok)
    assert stream.columns
    with pytest.raises(BadInputError, match="more than 64 levels"):
        discover(JsonConnector(), deep)


# --- DuckDB readers --------------------------------------------------------------------------------


def test_the_duckdb_that_reads_a_file_has_a_memory_limit() -> None:
    con = reader_connection(dataclasses.replace(FileLimits(), reader_memory_mb=300))
    try:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    finally:
        con.close()
    assert limit is not None and limit[0].endswith("MiB") and 250 < float(limit[0].split()[0]) <= 300


def test_a_csv_that_needs_more_than_the_reader_memory_is_refused_by_name(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"q{i}" for i in range(5000)) + "\n" + ",".join("1" * 5000) + "\n")
    with pytest.raises(BadInputError) as refused:
        discover(CsvConnector(), wide, dataclasses.replace(FileLimits(), reader_memory_mb=16))
    assert "'wide.csv' needs more memory to read than this server allows (16 MB)" in refused.value.message


# --- the memory-capped child -----------------------------------------------------------------------


def test_the_child_answers_like_the_connector_does(tmp_path: Path) -> None:
    book = plain_workbook(tmp_path / "people.xlsx")
    [stream] = run_limited("excel", "discover", {"path": str(book)}, ctx_for(), memory_mb=2048)
    assert [(c.name, c.type) for c in stream.columns] == [("name", "VARCHAR"), ("age", "BIGINT")]


def test_an_engine_error_in_the_child_keeps_its_type_message_and_hint(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(BadInputError) as refused:
        run_limited("csv", "check", {"path": str(empty)}, ctx_for(), memory_mb=2048)
    assert refused.value.message == "File 'empty.csv' is empty"
    assert refused.value.hint and "CSV" in refused.value.hint


def test_an_unforeseen_bomb_grows_only_the_child_which_is_stopped_at_the_limit(tmp_path: Path) -> None:
    # with every pre-check off, reading this workbook would copy 100 MB into each of 2,000 cells
    bomb = shared_string_bomb(tmp_path / "survey.xlsx", chars=100_000_000, rows=2000)
    with pytest.raises(BadInputError) as refused:
        run_limited("excel", "discover", {"path": str(bomb)}, ctx_for(UNCHECKED), memory_mb=1024)
    assert refused.value.message == "'survey.xlsx' needs more memory to read than this server allows (1,024 MB)"


def test_shared_text_count_is_limited(tmp_path: Path) -> None:
    book = write_xlsx(
        tmp_path / "many.xlsx", '<worksheet xmlns="x"><sheetData/></worksheet>', [f"t{i}" for i in range(50)]
    )
    with pytest.raises(BadInputError, match="more than 10 distinct texts"):
        discover(ExcelConnector(), book, dataclasses.replace(FileLimits(), max_shared_strings=10))
