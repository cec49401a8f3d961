"""Browsing, paging, sorting, filtering, distinct values and profiles: one suite for DuckDB, Postgres and BigQuery."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from pipelines.warehouse import (
    BadFilter,
    Filter,
    SortKey,
    UnknownColumn,
    UnknownTable,
    WarehouseClient,
)
from tests.pipelines.warehouse.conftest import HOSTILE, PEOPLE

People = tuple[WarehouseClient, str]
BY_ID = [SortKey("id")]


def ids(warehouse: WarehouseClient, schema: str, **kwargs: Any) -> list[int]:
    page = warehouse.preview(schema, "people", limit=kwargs.pop("limit", 100), **kwargs)
    position = [c.name for c in page.columns].index("id")
    return [row[position] for row in page.rows]


def test_catalog_lists_the_schema_table_and_columns(people: People) -> None:
    warehouse, schema = people
    assert schema in warehouse.list_schemas()
    [info] = warehouse.list_tables(schema)
    assert (info.schema, info.name, info.kind, info.rows) == (schema, "people", "table", len(PEOPLE))
    assert any(t.schema == schema and t.name == "people" for t in warehouse.list_tables())
    columns = {c.name: c.kind for c in warehouse.columns(schema, "people")}
    assert list(columns) == ["id", "name", "city", "age", "score", "joined", "active", HOSTILE, "seen"]
    assert columns == {
        "id": "integer",
        "name": "text",
        "city": "text",
        "age": "integer",
        "score": "number",
        "joined": "date",
        "active": "boolean",
        HOSTILE: "text",
        "seen": "datetime",
    }


def test_paging_walks_the_table_in_order_and_reports_the_total(people: People) -> None:
    warehouse, schema = people
    pages = [warehouse.preview(schema, "people", limit=5, offset=o, sort=BY_ID) for o in (0, 5, 10)]
    assert [[row[0] for row in p.rows] for p in pages] == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    assert {p.total for p in pages} == {len(PEOPLE)}
    assert [c.name for c in pages[0].columns][:3] == ["id", "name", "city"]
    assert pages[0].rows[0][1:4] == ["Alice", "Pune", 34]


def test_sort_descending_puts_empty_cells_last(people: People) -> None:
    warehouse, schema = people
    assert ids(warehouse, schema, sort=[SortKey("score", descending=True), SortKey("id")]) == [
        9, 11, 3, 5, 1, 12, 6, 10, 4, 8, 2, 7,
    ]  # fmt: skip


def test_sort_on_two_columns(people: People) -> None:
    warehouse, schema = people
    order = ids(warehouse, schema, sort=[SortKey("city"), SortKey("age", descending=True), SortKey("id")])
    assert order == [6, 2, 12, 7, 4, 10, 8, 5, 1, 3, 11, 9]  # Delhi, Goa, Pune by age desc; no city last


FILTER_CASES = [
    (Filter("name", "eq", "Bob"), [2]),
    (Filter("name", "ne", "Bob"), [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),  # the empty name stays
    (Filter("age", "lt", 29), [9, 11]),
    (Filter("age", "le", 29), [3, 9, 11]),
    (Filter("age", "gt", 45), [4, 8]),
    (Filter("age", "ge", "45"), [4, 6, 8]),  # values may come as text from the UI
    (Filter("name", "contains", "AL"), [1, 7, 9]),  # Alice, Malak, alan: case ignored
    (Filter("name", "starts_with", "a"), [1, 9, 11]),
    (Filter("score", "is_null"), [2, 7]),
    (Filter("score", "not_null"), [1, 3, 4, 5, 6, 8, 9, 10, 11, 12]),
    (Filter("city", "in", ["Goa", "Delhi"]), [2, 4, 6, 7, 10, 12]),
    (Filter("age", "between", [33, 38]), [1, 5, 7, 10]),
    (Filter("joined", "eq", "2022-03-01"), [5, 6]),
    (Filter("joined", "between", [date(2022, 2, 1), date(2022, 3, 1)]), [3, 4, 5, 6]),
    (Filter("active", "eq", False), [2, 4, 8, 10]),
    (Filter("score", "gt", 8.5), [3, 9, 11]),
    (Filter("seen", "ge", "2023-01-01 10:00:00+00:00"), [10, 11, 12]),
    (Filter("name", "eq", "O'Brien"), [8]),
]


@pytest.mark.parametrize(("flt", "expected"), FILTER_CASES, ids=[f"{f.op}-{f.column}" for f, _ in FILTER_CASES])
def test_each_filter_operator(people: People, flt: Filter, expected: list[int]) -> None:
    warehouse, schema = people
    page = warehouse.preview(schema, "people", limit=3, sort=BY_ID, filters=[flt])
    assert page.total == len(expected)
    assert [row[0] for row in page.rows] == expected[:3]
    assert ids(warehouse, schema, sort=BY_ID, filters=[flt]) == expected
    assert warehouse.count(schema, "people", [flt]) == len(expected)


def test_filters_combine_with_and(people: People) -> None:
    warehouse, schema = people
    filters = [Filter("city", "eq", "Pune"), Filter("age", "lt", 35), Filter("active", "eq", "true")]
    assert ids(warehouse, schema, sort=BY_ID, filters=filters) == [1, 3, 11]
    assert warehouse.count(schema, "people", filters) == 3
    assert warehouse.count(schema, "people") == len(PEOPLE)


def test_distinct_values_most_frequent_first(people: People) -> None:
    warehouse, schema = people
    assert warehouse.distinct_values(schema, "people", "city") == [("Pune", 5), ("Delhi", 4), ("Goa", 2), (None, 1)]
    assert warehouse.distinct_values(schema, "people", "city", limit=2) == [("Pune", 5), ("Delhi", 4)]
    active_only = warehouse.distinct_values(schema, "people", "city", filters=[Filter("active", "eq", True)])
    assert active_only == [("Pune", 4), ("Delhi", 2), (None, 1)]


def test_profile_of_a_number_column(people: People) -> None:
    warehouse, schema = people
    profile = warehouse.profile(schema, "people", "age")
    ages = [p[3] for p in PEOPLE]
    assert (profile.rows, profile.nulls, profile.distinct) == (12, 0, 11)
    assert (profile.min, profile.max) == (22, 60)
    assert profile.mean == pytest.approx(sum(ages) / len(ages))
    assert profile.top_values[0] == (41, 2)
    assert len(profile.top_values) == 10
    # 39 whole years in 20 bins → 2-year bins from 22: [22, 24) ... [60, 62)
    assert [(b.start, b.end) for b in profile.histogram[:2]] == [(22, 24), (24, 26)]
    assert profile.histogram[-1].end == 62
    assert sum(b.count for b in profile.histogram) == 12
    counts = {b.start: b.count for b in profile.histogram if b.count}
    assert counts == {22: 1, 26: 1, 28: 1, 32: 1, 34: 1, 36: 1, 38: 1, 40: 2, 44: 1, 52: 1, 60: 1}


def test_profile_of_a_float_column_with_nulls(people: People) -> None:
    warehouse, schema = people
    profile = warehouse.profile(schema, "people", "score")
    scores = [p[4] for p in PEOPLE if p[4] is not None]
    assert (profile.rows, profile.nulls, profile.distinct) == (12, 2, 10)
    assert (profile.min, profile.max) == (3.0, 10.0)
    assert profile.mean == pytest.approx(sum(scores) / len(scores))
    assert len(profile.histogram) == 20
    assert (profile.histogram[0].start, profile.histogram[-1].end) == (3.0, 10.0)
    assert profile.histogram[-1].count == 1  # the maximum falls in the last bin, not past it
    assert sum(b.count for b in profile.histogram) == 10


def test_profile_of_a_date_column(people: People) -> None:
    warehouse, schema = people
    profile = warehouse.profile(schema, "people", "joined")
    assert (profile.rows, profile.nulls, profile.distinct) == (12, 1, 10)
    assert (profile.min, profile.max) == (date(2022, 1, 3), date(2022, 6, 1))
    assert date(2022, 3, 1) <= profile.mean <= date(2022, 3, 20)
    assert profile.top_values[0] == (date(2022, 3, 1), 2)
    assert profile.histogram[0].start == date(2022, 1, 3)
    assert all(isinstance(b.start, date) for b in profile.histogram)
    assert sum(b.count for b in profile.histogram) == 11


def test_profile_of_a_text_column_has_top_values_and_no_histogram(people: People) -> None:
    warehouse, schema = people
    profile = warehouse.profile(schema, "people", "city")
    assert (profile.rows, profile.nulls, profile.distinct) == (12, 1, 3)
    assert profile.top_values == [("Pune", 5), ("Delhi", 4), ("Goa", 2)]
    assert (profile.min, profile.max, profile.mean, profile.histogram) == (None, None, None, [])


def test_profile_of_a_timestamp_column_is_in_utc(people: People) -> None:
    warehouse, schema = people
    profile = warehouse.profile(schema, "people", "seen")
    assert (profile.rows, profile.nulls, profile.distinct) == (12, 0, 12)
    assert profile.min == datetime(2023, 1, 1, 1, 30, tzinfo=UTC)
    assert profile.max == datetime(2023, 1, 1, 12, 30, tzinfo=UTC)
    assert profile.mean == datetime(2023, 1, 1, 7, 0, tzinfo=UTC)
    assert len(profile.histogram) == 20 and profile.histogram[0].start == profile.min
    assert sum(b.count for b in profile.histogram) == 12


def test_profile_of_a_boolean_column(people: People) -> None:
    warehouse, schema = people
    profile = warehouse.profile(schema, "people", "active")
    assert (profile.rows, profile.nulls, profile.distinct) == (12, 1, 2)
    assert profile.top_values == [(True, 7), (False, 4)]
    assert profile.histogram == []


def test_hostile_column_name_is_just_a_column(people: People) -> None:
    warehouse, schema = people
    page = warehouse.preview(
        schema, "people", limit=3, sort=[SortKey(HOSTILE), SortKey("id")], filters=[Filter(HOSTILE, "eq", "v1")]
    )
    assert [row[0] for row in page.rows] == [1, 4, 7] and page.total == 4
    assert warehouse.distinct_values(schema, "people", HOSTILE) == [("v0", 4), ("v1", 4), ("v2", 4)]
    assert warehouse.profile(schema, "people", HOSTILE).distinct == 3
    hostile_value = Filter("name", "eq", "'; DROP TABLE people; --")
    assert warehouse.count(schema, "people", [hostile_value]) == 0
    assert warehouse.count(schema, "people") == len(PEOPLE)


def test_unknown_table_and_column_are_named_in_the_error(people: People) -> None:
    warehouse, schema = people
    with pytest.raises(UnknownTable, match="nope"):
        warehouse.preview(schema, "nope")
    with pytest.raises(UnknownTable, match="no_schema"):
        warehouse.columns("no_schema", "people")
    with pytest.raises(UnknownColumn, match="'salary'"):
        warehouse.preview(schema, "people", filters=[Filter("salary", "gt", 1)])
    with pytest.raises(UnknownColumn, match="'salary'"):
        warehouse.preview(schema, "people", sort=[SortKey("salary")])
    with pytest.raises(UnknownColumn, match="'salary'"):
        warehouse.distinct_values(schema, "people", "salary")
    with pytest.raises(UnknownColumn, match="'salary'"):
        warehouse.profile(schema, "people", "salary")


def test_bad_filters_are_clear_errors(people: People) -> None:
    warehouse, schema = people
    with pytest.raises(BadFilter, match="fit its column"):
        warehouse.count(schema, "people", [Filter("age", "eq", "forty")])
    with pytest.raises(BadFilter, match="Unknown filter operator 'like'"):
        Filter("name", "like", "a%")
    with pytest.raises(BadFilter, match="two values"):
        Filter("age", "between", [1])
    with pytest.raises(BadFilter, match="needs a value"):
        Filter("age", "gt")
