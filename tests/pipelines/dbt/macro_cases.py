"""Models using the vendored macros over `raw_survey.visits`, and the rows each must produce on any warehouse."""

from __future__ import annotations

from typing import Any

HOSTILE = 'x"; DROP TABLE y; --'
SRC = "{{ source('raw_survey', 'visits') }}"

# (district, month, visits, staff, <hostile column>)
VISITS: list[tuple[Any, ...]] = [
    ("Bengaluru", "jan", 10, 2, "a"),
    ("Bengaluru", "feb", 4, 0, "b"),
    ("Mysuru", "jan", 5, 5, None),
    ("Mysuru", None, 7, 1, "c"),
    ("Pune", "feb", 3, None, "d"),
]

MODELS = {
    "mac_pivot": (
        "select district,\n"
        "  {{ dalgo_pivot('month', ['jan', 'feb', none], value_column='visits') }},\n"
        "  {{ dalgo_pivot('month', ['jan'], prefix='n_', agg='count') }}\n"
        f"from {SRC}\ngroup by district"
    ),
    "mac_unpivot": (
        "{{ dalgo_unpivot(source('raw_survey', 'visits'), ['visits', 'staff', '" + HOSTILE.replace("'", "\\'") + "'],"
        " keep=['district', 'month'], name_column='measure', value_column='amount') }}"
    ),
    "mac_divide": f"select district, month, {{{{ dalgo_safe_divide('visits', 'staff') }}}} as per_staff from {SRC}",
    "mac_union": "{{ dalgo_union_relations([ref('mac_pivot'), ref('mac_divide')]) }}",
}

PIVOT_COLUMNS = ["district", "jan", "feb", "null", "n_jan"]
PIVOT_ROWS = [("Bengaluru", 10, 4, None, 1), ("Mysuru", 5, None, 7, 1), ("Pune", None, 3, None, 0)]
DIVIDE_ROWS = [
    ("Bengaluru", "feb", None),
    ("Bengaluru", "jan", 5.0),
    ("Mysuru", None, 7.0),
    ("Mysuru", "jan", 1.0),
    ("Pune", "feb", None),
]
UNION_COLUMNS = ["_dalgo_source", "district", "jan", "feb", "null", "n_jan", "month", "per_staff"]


def unpivot_rows() -> list[tuple[Any, ...]]:
    """15 rows: every (district, month) with each of the three columns, values as text, NULLs kept."""
    rows = []
    for district, month, visits, staff, hostile in VISITS:
        for name, value in (("visits", visits), ("staff", staff), (HOSTILE, hostile)):
            rows.append((district, month, name, None if value is None else str(value)))
    return sorted(rows, key=_sort_key)


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in row)


def sort_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows in a NULL-safe order, to compare results of different warehouses."""
    return sorted((tuple(r) for r in rows), key=_sort_key)


def check_macro_results(columns_of: Any, rows_of: Any) -> None:
    """Assert the four models' outputs; `columns_of(table)` / `rows_of(sql)` read from the warehouse."""
    assert columns_of("mac_pivot") == PIVOT_COLUMNS
    assert sort_rows(rows_of("select * from analytics.mac_pivot")) == PIVOT_ROWS
    assert sort_rows(rows_of("select district, month, measure, amount from analytics.mac_unpivot")) == unpivot_rows()
    assert sort_rows(rows_of("select * from analytics.mac_divide")) == sort_rows(DIVIDE_ROWS)
    assert columns_of("mac_union") == UNION_COLUMNS
    union = rows_of("select _dalgo_source, count(*), count(jan), count(per_staff) from analytics.mac_union group by 1")
    assert sort_rows(union) == [("mac_divide", 5, 0, 3), ("mac_pivot", 3, 2, 0)]
