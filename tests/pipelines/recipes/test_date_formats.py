"""Detecting the date formats of a column, and parsing with them keeps what is not a date visible."""

from __future__ import annotations

from datetime import date

import duckdb

from pipelines.recipes import Recipe, preview
from pipelines.recipes.datefmt import detect_formats

# The field test's survey_date column: six formats, blanks and "unknown".
DATES = {
    "31/12/2024": 5, "15/01/2025": 4, "03/04/2024": 3, "2024-12-31": 6, "31.12.2024": 2, "05/15/2025": 2,
    "31-Dec-2024": 2, "45657": 1, "unknown": 3, "": 2, "  ": 1,
}  # fmt: skip


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.s (survey_date VARCHAR)")
    rows = [(v,) for v, n in DATES.items() for _ in range(n)] + [(None,)]
    con.executemany("INSERT INTO raw.s VALUES (?)", rows)
    return con


def test_detection_reports_each_format_with_counts_and_examples() -> None:
    found, unread_rows, unread_values = detect_formats(_con(), "raw.s", '"survey_date"')
    by = {f.format: f for f in found}
    assert set(by) == {"dd/mm/yyyy", "mm/dd/yyyy", "yyyy-mm-dd", "dd.mm.yyyy", "dd-mon-yyyy", "excel"}
    assert (by["dd/mm/yyyy"].rows, by["dd/mm/yyyy"].values, by["dd/mm/yyyy"].only) == (12, 3, 2)
    assert (by["mm/dd/yyyy"].rows, by["mm/dd/yyyy"].only) == (5, 1)  # 03/04/2024 fits both: ambiguous
    assert ("05/15/2025", "2025-05-15") in by["mm/dd/yyyy"].samples
    assert by["excel"].samples == [("45657", "2024-12-31")]
    assert by["dd-mon-yyyy"].samples == [("31-Dec-2024", "2024-12-31")]
    assert (unread_rows, unread_values) == (3, 1)  # "unknown"; blanks are not counted as unread


def test_parse_dates_keeps_unparsed_text_by_default_and_reads_excel_serials() -> None:
    con = _con()
    step = {"op": "parse_dates", "config": {"column": "survey_date", "formats": ["dd/mm/yyyy", "excel"]}}
    rcp = Recipe(name="r", input={"kind": "table", "schema": "raw", "table": "s"}, steps=[step])
    result = preview(con, rcp, input_relation="raw.s", limit=100)
    names = [c.name for c in result.columns]
    assert names == ["survey_date", "survey_date__unparsed"]
    pairs = {(r[0], r[1]) for r in result.rows}
    assert (date(2024, 12, 31), None) in pairs  # 31/12/2024 and 45657 alike
    assert (None, "unknown") in pairs and (None, "2024-12-31") in pairs
    assert (None, None) in pairs  # blanks stay blank, with nothing to keep
    assert any("kept in survey_date__unparsed" in w for w in result.warnings)
