"""The Data view model headless against the real server: tables, paging, sorting, filters, profile, export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from desktop.client import DalgoClient
from desktop.state.data import DataModel
from desktop.state.session import AppState
from tests.desktop.conftest import ADMIN, invite_and_join
from tests.desktop.sources_helpers import sign_in, synced_csv_source, write_csv

pytestmark = pytest.mark.e2e


@pytest.fixture
def data(admin: DalgoClient, headless: AppState, url: str, dalgo_home: Path, tmp_path: Path) -> DataModel:
    synced_csv_source(admin, write_csv(tmp_path / "clinic_visits.csv", 250))
    model = DataModel(sign_in(headless, url, dalgo_home, ADMIN))
    model.load()
    return model


def ids(data: DataModel) -> list[int]:
    return [row[0] for row in data.grid.rows]


def test_tables_by_schema_with_rows_and_columns(data: DataModel) -> None:
    schemas = data.schemas()
    assert list(schemas) == ["raw_clinic_visits"]
    (table,) = schemas["raw_clinic_visits"]
    assert table.name == "clinic_visits" and table.rows == 250
    data.load_columns("raw_clinic_visits", "clinic_visits")
    names = [c.name for c in data.columns[("raw_clinic_visits", "clinic_visits")]]
    assert names[:4] == ["id", "name", "district", "age"] and "_dalgo_loaded_at" in names


def test_paging_sorting_and_filtering_happen_on_the_server(data: DataModel) -> None:
    grid = data.grid
    data.open("raw_clinic_visits", "clinic_visits")
    assert grid.total == 250 and len(grid.rows) == 100 and grid.page_text() == "Rows 1 to 100 of 250"
    grid.next_page()
    grid.next_page()
    assert grid.page_text() == "Rows 201 to 250 of 250" and not grid.has_next
    grid.set_page_size(50)
    assert grid.offset == 0 and len(grid.rows) == 50
    grid.sort_by("id")
    assert ids(data)[:3] == [1, 2, 3]
    grid.sort_by("id")
    assert ids(data)[:3] == [250, 249, 248] and grid.sort_param == "-id"
    grid.sort_by("id")
    assert grid.sort is None
    assert grid.add_filter("district", "eq", "north")
    assert grid.total == 62 and {row[2] for row in grid.rows} == {"north"}
    assert grid.add_filter("age", "between", "20, 25")
    north_young = [i for i in range(1, 251) if i % 4 == 0 and i % 30 <= 5]  # how write_csv makes the rows
    assert grid.total == len(north_young) == 13 and sorted(ids(data)) == north_young
    assert not grid.add_filter("age", "gt", "")
    assert data.app.banner.notice.text == "Type a value to compare age with."  # type: ignore[union-attr]
    grid.remove_filter(0)
    assert [f.label() for f in grid.filters] == ["age between 20 and 25"] and grid.total == 53


def test_column_profile_has_range_nulls_top_values_and_histogram(data: DataModel) -> None:
    grid = data.grid
    data.open("raw_clinic_visits", "clinic_visits")
    grid.load_profile("age")
    profile = grid.profile
    assert profile is not None and profile.column == "age" and profile.kind == "integer"
    assert (profile.rows, profile.nulls, profile.distinct, profile.min, profile.max) == (250, 0, 30, 20, 49)
    assert sum(b.count for b in profile.histogram) == 250 and profile.top_values
    grid.load_profile("district")
    assert grid.profile is not None and {v.value for v in grid.profile.top_values} == {"north", "south", "east", "west"}


def test_export_keeps_the_filters_and_sort_and_a_cancelled_one_leaves_nothing(data: DataModel, tmp_path: Path) -> None:
    grid = data.grid
    data.open("raw_clinic_visits", "clinic_visits")
    grid.add_filter("district", "eq", "east")
    grid.sort_by("id")
    grid.sort_by("id")
    dest = tmp_path / "east.csv"
    transfer = grid.start_export("csv", dest)
    assert transfer is not None and transfer.finished and transfer.percent() == 100
    rows = list(csv.DictReader(dest.open(encoding="utf-8")))
    assert len(rows) == 63 and {r["district"] for r in rows} == {"east"}  # ids 2, 6, 10, ...: i % 4 == 2
    assert [int(r["id"]) for r in rows[:3]] == [250, 246, 242]
    assert not any(name.startswith("_dalgo_") for name in rows[0])  # Dalgo's load columns stay out by default
    assert "Saved clinic_visits (1 filter" in data.app.banner.notice.text  # type: ignore[union-attr]
    grid.show_system = True  # "Show system columns" ticked: the download has them too
    grid.start_export("csv", tmp_path / "with-system.csv")
    header = (tmp_path / "with-system.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "_dalgo_loaded_at" in header and "_dalgo_batch_id" in header
    grid.show_system = False
    grid.start_export("parquet", tmp_path / "all.parquet")
    assert (tmp_path / "all.parquet").read_bytes()[:4] == b"PAR1"

    class Cancelling:
        def __init__(self) -> None:
            self.runner = data.app.runner

        def submit(self, work, on_done, on_error):  # type: ignore[no-untyped-def]
            data.grid.export.cancel()  # type: ignore[union-attr]  # the user pressed Cancel before the first chunk
            self.runner.submit(work, on_done, on_error)

    data.app.runner = Cancelling()  # type: ignore[assignment]
    grid.start_export("xlsx", tmp_path / "never.xlsx")
    assert not list(tmp_path.glob("never.xlsx*"))
    assert data.app.banner.notice.text == "Download cancelled; nothing was saved."  # type: ignore[union-attr]


def test_members_do_not_browse_the_warehouse(
    admin: DalgoClient, headless: AppState, url: str, dalgo_home: Path
) -> None:
    invite_and_join(admin, "member@example.org", "member")
    model = DataModel(sign_in(headless, url, dalgo_home, "member@example.org"))
    model.load()
    assert not model.can_read and not model.loaded and model.tables == []
