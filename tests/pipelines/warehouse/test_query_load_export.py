"""Read-only queries, Arrow loads and exports: the same suite on DuckDB, Postgres and BigQuery."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.warehouse import ExportTooLarge, Filter, QueryNotAllowed, SortKey, WarehouseClient, WarehouseError
from tests.pipelines.warehouse.conftest import HOSTILE, PEOPLE

People = tuple[WarehouseClient, str]


def test_query_returns_rows_and_says_when_it_cut_them(people: People) -> None:
    warehouse, schema = people
    table = f"{schema}.people"
    result = warehouse.query(f"SELECT id, name FROM {table} WHERE age > 40 ORDER BY id", limit=3)
    assert [c.name for c in result.columns] == ["id", "name"]
    assert result.rows == [[2, "Bob"], [4, "Dave"], [6, None]] and result.truncated
    everything = warehouse.query(f"WITH old AS (SELECT id FROM {table} WHERE age > 50) SELECT COUNT(*) AS n FROM old;")
    assert everything.rows == [[2]] and not everything.truncated


REJECTED = [
    "DELETE FROM {t}",
    "DROP TABLE {t}",
    "SELECT 1; DELETE FROM {t}",
    "SELECT * FROM {t}; SELECT 2",
    "CREATE TABLE {s}.copy AS SELECT * FROM {t}",
    "INSERT INTO {t} (id) VALUES (99)",
    "UPDATE {t} SET age = 0",
]


@pytest.mark.parametrize(
    "sql", REJECTED, ids=["delete", "drop", "write-after-select", "two-selects", "ctas", "insert", "update"]
)
def test_query_refuses_anything_but_one_select(people: People, sql: str) -> None:
    warehouse, schema = people
    with pytest.raises(QueryNotAllowed):
        warehouse.query(sql.format(t=f"{schema}.people", s=schema))
    assert warehouse.count(schema, "people") == len(PEOPLE)
    assert [t.name for t in warehouse.list_tables(schema)] == ["people"]


def test_query_with_a_typo_is_a_clear_error(people: People) -> None:
    warehouse, schema = people
    with pytest.raises(WarehouseError):
        warehouse.query(f"SELECT nosuchcolumn FROM {schema}.people")
    with pytest.raises(QueryNotAllowed, match="could not be read"):
        warehouse.query("SELECT * FROM x WHERE name = 'unterminated")


def _read_back(path: Path, fmt: str) -> list[list[str]]:
    """Rows of an exported file as text, header first."""
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.reader(handle))
    if fmt == "parquet":
        table = pq.read_table(path)
        return [table.column_names, *[[str(v) for v in row.values()] for row in table.to_pylist()]]
    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet is not None
    return [[str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_export_round_trip_keeps_filter_and_sort(people: People, tmp_path: Path, fmt: str) -> None:
    warehouse, schema = people
    dest = tmp_path / "out" / f"people.{fmt}"
    filters = [Filter("city", "eq", "Pune")]
    written = warehouse.export(schema, "people", fmt=fmt, dest=dest, filters=filters, sort=[SortKey("age")])  # type: ignore[arg-type]
    assert written == dest
    rows = _read_back(dest, fmt)
    header = rows[0]
    assert header[:3] == ["id", "name", "city"] and HOSTILE in header
    assert [r[0] for r in rows[1:]] == ["11", "3", "1", "5", "8"]
    assert [r[1] for r in rows[1:]] == ["Ayaan", "carol", "Alice", "Eve", "O'Brien"]
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no partial file left behind


def test_xlsx_export_over_the_excel_limit_is_refused(
    people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, schema = people
    monkeypatch.setattr("pipelines.warehouse.sqlclient.XLSX_MAX_DATA_ROWS", 4)  # 12 rows would need 1M+ for real
    with pytest.raises(ExportTooLarge, match="at most 4") as caught:
        warehouse.export(schema, "people", fmt="xlsx", dest=tmp_path / "big.xlsx")
    assert "CSV or Parquet" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    small = warehouse.export(
        schema, "people", fmt="xlsx", dest=tmp_path / "ok.xlsx", filters=[Filter("city", "eq", "Goa")]
    )
    assert len(_read_back(small, "xlsx")) == 3


def _batch(start: int, count: int) -> pa.RecordBatch:
    ids = list(range(start, start + count))
    return pa.record_batch({"id": ids, "label": [f"row {i}" for i in ids], HOSTILE: [i * 0.5 for i in ids]})


def test_load_arrow_replace_and_append(warehouse: WarehouseClient, scratch_schema: str) -> None:
    assert warehouse.load_arrow(scratch_schema, "items", [_batch(0, 3), pa.Table.from_batches([_batch(3, 2)])]) == 5
    assert warehouse.count(scratch_schema, "items") == 5
    assert warehouse.load_arrow(scratch_schema, "items", [_batch(5, 4)], mode="append") == 4
    assert warehouse.count(scratch_schema, "items") == 9
    assert warehouse.load_arrow(scratch_schema, "items", [_batch(100, 2)], mode="replace") == 2
    page = warehouse.preview(scratch_schema, "items", sort=[SortKey("id")])
    assert page.rows == [[100, "row 100", 50.0], [101, "row 101", 50.5]]
    assert [c.name for c in page.columns] == ["id", "label", HOSTILE]


def test_a_failed_replace_leaves_the_previous_table(warehouse: WarehouseClient, scratch_schema: str) -> None:
    warehouse.load_arrow(scratch_schema, "items", [_batch(0, 3)])

    def broken() -> Iterator[pa.RecordBatch]:
        yield _batch(10, 2)
        raise RuntimeError("source went away mid-sync")

    with pytest.raises(RuntimeError, match="mid-sync"):
        warehouse.load_arrow(scratch_schema, "items", broken(), mode="replace")
    assert [r[0] for r in warehouse.preview(scratch_schema, "items", sort=[SortKey("id")]).rows] == [0, 1, 2]


def test_original_names_come_from_the_loader_metadata(warehouse: WarehouseClient, scratch_schema: str) -> None:
    warehouse.load_arrow(scratch_schema, "survey", [pa.table({"household_size": [4], "village": ["Kota"]})])
    metadata = pa.table(
        {
            "table_name": ["survey", "other"],
            "column_name": ["household_size", "village"],
            "original_name": ["Household Size (people)", "Village name"],
        }
    )
    warehouse.load_arrow(scratch_schema, "_dalgo_columns", [metadata])
    columns = {c.name: c.original_name for c in warehouse.columns(scratch_schema, "survey")}
    assert columns == {"household_size": "Household Size (people)", "village": None}
    assert [t.name for t in warehouse.list_tables(scratch_schema)] == ["survey"]  # bookkeeping stays hidden
