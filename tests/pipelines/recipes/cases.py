"""One or more cases per operation: the steps and what a user would see in the result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tests.pipelines.recipes.conftest import DISTRICTS, EXTRA

Rows = list[dict[str, Any]]


@dataclass
class OpCase:
    id: str
    steps: list[dict[str, Any]]
    check: Callable[[Rows], None]


def by_id(rows: Rows, name: str) -> list[Any]:
    """Values of a column ordered by (id, submitted): the survey has two rows with id 2."""
    ordered = sorted(rows, key=lambda r: (r.get("id") is None, r.get("id"), r.get("submitted") or datetime.max))
    return [r[name] for r in ordered]


def bag(rows: Rows, name: str) -> Counter[Any]:
    return Counter(r[name] for r in rows)


def step(op: str, **config: Any) -> dict[str, Any]:
    return {"op": op, "config": config}


def _eq(actual: Any, expected: Any) -> None:
    assert actual == expected, f"{actual!r} != {expected!r}"


TRIM_TITLE = [step("trim", columns=["district"]), step("change_case", columns=["district"], case="title")]

CASES: list[OpCase] = [
    # ---- cleaning
    OpCase(
        "trim",
        [step("trim", columns=["district"])],
        lambda r: _eq(bag(r, "district"), Counter(["North", "north", "NORTH", "South", None])),
    ),
    OpCase(
        "trim_collapse",
        [step("trim", columns=["note"], collapse=True)],
        lambda r: _eq(by_id(r, "note"), ["Asha Devi", "ravi", None, "MEENA k", ""]),
    ),
    OpCase(
        "upper",
        [step("change_case", columns=["note"], case="upper")],
        lambda r: _eq(by_id(r, "note"), ["  ASHA   DEVI  ", "RAVI", None, "MEENA K", ""]),
    ),
    OpCase(
        "title",
        [step("change_case", columns=["note"], case="title")],
        lambda r: _eq(by_id(r, "note"), ["  Asha   Devi  ", "Ravi", None, "Meena K", ""]),
    ),
    OpCase(
        "lower",
        [step("trim", columns=["district"]), step("change_case", columns=["district"], case="lower")],
        lambda r: _eq(bag(r, "district"), Counter({"north": 3, "south": 1, None: 1})),
    ),
    OpCase(
        "find_plain",
        [step("find_replace", columns=["city"], find="galuru", replace="GALURU")],
        lambda r: _eq(by_id(r, "city"), ["BenGALURU", "benGALURU ", "BENGALURU", "Bengalūru", "Bangalore"]),
    ),
    OpCase(
        "find_nocase",
        [step("find_replace", columns=["city"], find="BENGALURU", replace="Bengaluru", case_sensitive=False)],
        lambda r: _eq(by_id(r, "city"), ["Bengaluru", "Bengaluru ", "Bengaluru", "Bengalūru", "Bangalore"]),
    ),
    OpCase(
        "find_regex",
        [step("find_replace", columns=["tags"], find=r"\s*,\s*", replace=";", regex=True)],
        lambda r: _eq(by_id(r, "tags"), ["a;b", "b", None, "c;d;e", ""]),
    ),
    OpCase(
        "find_whole",
        [
            step(
                "find_replace",
                columns=["district"],
                find="north",
                replace="North",
                case_sensitive=False,
                whole_value=True,
            )
        ],
        lambda r: _eq(by_id(r, "district"), [" North ", "North", "North", "South", None]),
    ),
    OpCase(
        "mass_edit",
        [
            step(
                "mass_edit",
                column="city",
                edits=[{"from": ["bengaluru ", "BENGALURU", "Bengalūru"], "to": "Bengaluru"}],
            )
        ],
        lambda r: _eq(bag(r, "city"), Counter({"Bengaluru": 4, "Bangalore": 1})),
    ),
    OpCase(
        "mass_edit_null",
        [step("mass_edit", column="district", edits=[{"from": [None], "to": "Unknown"}])],
        lambda r: _eq(by_id(r, "district")[-1], "Unknown"),
    ),
    OpCase(
        "edit_cell",
        [step("edit_cell", key={"id": "3"}, column="city", value="Bengaluru")],
        lambda r: _eq(by_id(r, "city"), ["Bengaluru", "bengaluru ", "BENGALURU", "Bengaluru", "Bangalore"]),
    ),
    OpCase(
        "split_columns",
        [step("split_column", column="tags", separator=",", count=3)],
        lambda r: _eq(
            [by_id(r, f"tags_{i}") for i in (1, 2, 3)],
            [["a", "b", None, "c", None], ["b", None, None, "d", None], [None, None, None, "e", None]],
        ),
    ),
    OpCase(
        "split_rows",
        [step("split_column", column="tags", separator=",", mode="rows")],
        lambda r: _eq(bag(r, "tags"), Counter({"a": 1, "b": 2, "c": 1, "d": 1, "e": 1, None: 2})),
    ),
    OpCase(
        "fill_down",
        [step("fill_down", columns=["district"], order_by=[{"column": "id"}])],
        lambda r: _eq(by_id(r, "district")[-1], "South"),
    ),
    OpCase(
        "fill_constant",
        [step("fill_nulls", columns=["note"], value="n/a"), step("fill_nulls", columns=["income"], value=0)],
        lambda r: _eq(
            (by_id(r, "note"), by_id(r, "income")),
            (["  Asha   Devi  ", "ravi", "n/a", "MEENA k", "n/a"], [1200.5, 0.0, 900.0, 3000.0, 450.25]),
        ),
    ),
    OpCase(
        "parse_dates",
        [step("parse_dates", column="visit", formats=["dd/mm/yyyy", "yyyy-mm-dd"])],
        lambda r: _eq(by_id(r, "visit"), [date(2024, 2, 1), date(2024, 2, 3), date(2024, 2, 3), None, None]),
    ),
    OpCase(
        "parse_timestamp",
        [step("parse_dates", column="visit", formats=["%d/%m/%Y"], output="timestamp", output_column="visit_at")],
        lambda r: _eq(by_id(r, "visit_at")[:3], [datetime(2024, 2, 1), None, datetime(2024, 2, 3)]),
    ),
    OpCase(
        "parse_dates_keeps_unparsed",
        [step("parse_dates", column="visit", formats=["dd/mm/yyyy"], output_column="visit_date")],
        lambda r: _eq(
            (by_id(r, "visit_date"), by_id(r, "visit_date__unparsed")),
            ([date(2024, 2, 1), None, date(2024, 2, 3), None, None], [None, "2024-02-03", None, "not a date", None]),
        ),
    ),
    OpCase(
        "parse_dates_drops_unparsed",
        [step("parse_dates", column="visit", formats=["dd/mm/yyyy"], keep_unparsed=False)],
        lambda r: _eq((by_id(r, "visit")[3], "visit__unparsed" in r[0]), (None, False)),
    ),
    OpCase(
        "date_part_numbers",
        [
            step("date_part", column="submitted", part="weekday"),
            step("date_part", column="submitted", part="week", output_column="week"),
            step("date_part", column="submitted", part="quarter", output_column="q"),
        ],
        lambda r: _eq(
            (by_id(r, "submitted_weekday"), by_id(r, "week"), by_id(r, "q")),
            ([4, 6, 7, 1, None], [5, 5, 5, 6, None], [1, 1, 1, 1, None]),
        ),
    ),
    OpCase(
        "date_part_names",
        [
            step("date_part", column="submitted", part="day_name", output_column="day"),
            step("date_part", column="submitted", part="month_name", output_column="month"),
        ],
        lambda r: _eq(
            (by_id(r, "day"), by_id(r, "month")[0]), (["Thursday", "Saturday", "Sunday", "Monday", None], "February")
        ),
    ),
    OpCase(
        "date_part_of_parsed_text",
        [
            step("parse_dates", column="visit", formats=["dd/mm/yyyy", "yyyy-mm-dd"]),
            step("date_part", column="visit", part="year", output_column="year"),
            step("date_part", column="visit", part="month", output_column="month"),
            step("date_part", column="visit", part="day", output_column="day"),
        ],
        lambda r: _eq(
            (by_id(r, "year"), by_id(r, "month"), by_id(r, "day")),
            ([2024, 2024, 2024, None, None], [2, 2, 2, None, None], [1, 3, 3, None, None]),
        ),
    ),
    OpCase(
        "cast_strict",
        [step("cast", columns=[{"column": "household", "type": "DOUBLE"}, {"column": "submitted", "type": "DATE"}])],
        lambda r: _eq((by_id(r, "household"), by_id(r, "submitted")[0]), ([4.0, 3.0, 3.0, 5.0, 0.0], date(2024, 2, 1))),
    ),
    OpCase(
        "cast_try",
        [step("cast", columns=[{"column": "age", "type": "BIGINT"}], mode="try")],
        lambda r: _eq(by_id(r, "age"), [34, 41, None, None, 29]),
    ),
    OpCase(
        "dedupe_latest",
        [step("deduplicate", keys=["id"], order_by="submitted")],
        lambda r: _eq(by_id(r, "city"), ["Bengaluru", "BENGALURU", "Bengalūru", "Bangalore"]),
    ),
    OpCase(
        "dedupe_earliest",
        [step("deduplicate", keys=["id"], order_by="submitted", keep="earliest")],
        lambda r: _eq(by_id(r, "city")[1], "bengaluru "),
    ),
    # ---- rows
    OpCase(
        "facet_values",
        [
            step(
                "facet_filter",
                facets=[{"kind": "values", "column": "district", "values": [" North ", "South"], "include_null": True}],
            )
        ],
        lambda r: _eq(by_id(r, "id"), [1, 3, 4]),
    ),
    OpCase(
        "facet_invert",
        [
            step(
                "facet_filter",
                facets=[{"kind": "values", "column": "district", "values": [" North ", "South"], "invert": True}],
            )
        ],
        lambda r: _eq(by_id(r, "district"), ["north", "NORTH", None]),
    ),
    OpCase(
        "facet_range",
        [
            step(
                "facet_filter",
                facets=[
                    {"kind": "range", "column": "household", "min": 3, "max": 4},
                    {"kind": "range", "column": "submitted", "min": "2024-02-03", "max": "2024-02-05"},
                ],
            )
        ],
        lambda r: _eq(by_id(r, "id"), [2, 2]),
    ),
    OpCase(
        "where_all",
        [
            step(
                "where",
                clauses=[
                    {"column": "household", "operator": ">=", "value": 3},
                    {"column": "income", "operator": "is_not_null"},
                ],
            )
        ],
        lambda r: _eq(by_id(r, "id"), [1, 2, 3]),
    ),
    OpCase(
        "where_any",
        [
            step(
                "where",
                match="any",
                clauses=[
                    {"column": "city", "operator": "contains", "value": "galo"},
                    {"column": "id", "operator": "=", "value": 1},
                ],
            )
        ],
        lambda r: _eq(by_id(r, "id"), [1, 4]),
    ),
    OpCase(
        "where_in_null",
        [step("where", clauses=[{"column": "district", "operator": "in", "value": ["South", None]}])],
        lambda r: _eq(by_id(r, "id"), [3, 4]),
    ),
    OpCase(
        "where_not_in",
        [step("where", clauses=[{"column": "district", "operator": "not_in", "value": ["South"]}])],
        lambda r: _eq(by_id(r, "id"), [1, 2, 2, 4]),
    ),
    OpCase(
        "where_text",
        [
            step(
                "where",
                match="any",
                clauses=[
                    {"column": "city", "operator": "starts_with", "value": "Ben"},
                    {"column": "city", "operator": "ends_with", "value": "ore"},
                ],
            )
        ],
        lambda r: _eq(by_id(r, "id"), [1, 3, 4]),
    ),
    OpCase(
        "where_between_column",
        [
            step(
                "where",
                match="any",
                clauses=[
                    {"column": "household", "operator": "between", "value": 1, "value2": 3},
                    {"column": "household", "operator": "<", "value_column": "id"},
                ],
            )
        ],
        lambda r: _eq(by_id(r, "id"), [2, 2, 4]),
    ),
    # ---- columns
    OpCase(
        "add",
        [
            step(
                "arithmetic",
                operator="add",
                operands=[{"column": "household"}, {"column": "income"}],
                output_column="total",
            )
        ],
        lambda r: _eq(by_id(r, "total"), [1204.5, 3.0, 903.0, 3005.0, 450.25]),
    ),
    OpCase(
        "mul",
        [step("arithmetic", operator="mul", operands=[{"column": "household"}, {"value": 2}], output_column="twice")],
        lambda r: _eq(by_id(r, "twice"), [8, 6, 6, 10, 0]),
    ),
    OpCase(
        "sub",
        [step("arithmetic", operator="sub", operands=[{"column": "id"}, {"column": "household"}], output_column="id")],
        lambda r: _eq(sorted(by_id(r, "id")), [-3, -2, -1, -1, 4]),
    ),
    OpCase(
        "div",
        [
            step(
                "arithmetic",
                operator="div",
                operands=[{"column": "income"}, {"column": "household"}],
                output_column="per_person",
            )
        ],
        lambda r: _eq(by_id(r, "per_person"), [300.125, None, 300.0, 600.0, None]),
    ),
    OpCase(
        "coalesce",
        [step("coalesce", columns=["income"], default=-1, output_column="income")],
        lambda r: _eq(by_id(r, "income"), [1200.5, -1.0, 900.0, 3000.0, 450.25]),
    ),
    OpCase(
        "concat",
        [
            step(
                "concat",
                parts=[{"value": "HH"}, {"column": "household"}, {"column": "district"}],
                separator="-",
                output_column="label",
            )
        ],
        lambda r: _eq(by_id(r, "label"), ["HH-4- North ", "HH-3-north", "HH-3-NORTH", "HH-5-South", "HH-0"]),
    ),
    OpCase(
        "drop",
        [step("drop_columns", columns=["payload", "note"])],
        lambda r: _eq(
            sorted(r[0]), sorted(["id", "district", "city", "visit", "age", "household", "income", "submitted", "tags"])
        ),
    ),
    OpCase(
        "rename",
        [step("rename_columns", mapping={"city": "town", "household": "hh_size"})],
        lambda r: _eq(by_id(r, "hh_size"), [4, 3, 3, 5, 0]),
    ),
    OpCase(
        "flatten_json",
        [step("flatten_json", column="payload", paths=["name", "address.city", "items[0].qty"])],
        lambda r: _eq(
            [by_id(r, c) for c in ("payload_name", "payload_address_city", "payload_items_0_qty")],
            [["Asha", "Ravi", None, "Meena", None], ["Pune", "Delhi", None, None, None], ["2", None, None, None, None]],
        ),
    ),
    OpCase(
        "regex_group",
        [step("regex_extract", column="visit", pattern="([0-9]{4})", group=1, output_column="year")],
        lambda r: _eq(by_id(r, "year"), ["2024", "2024", "2024", None, None]),
    ),
    OpCase(
        "regex_whole",
        [step("regex_extract", column="visit", pattern="[0-9]{2}/[0-9]{2}", output_column="day_month")],
        lambda r: _eq(by_id(r, "day_month"), ["01/02", None, "03/02", None, None]),
    ),
    OpCase(
        "replace",
        [
            step(
                "replace",
                column="city",
                replacements=[{"find": "Bengal", "replace": "BENGAL"}, {"find": "uru", "replace": "OORU"}],
                output_column="city2",
            )
        ],
        lambda r: _eq(by_id(r, "city2"), ["BENGALOORU", "bengalOORU ", "BENGALURU", "BENGALūru", "Bangalore"]),
    ),
    OpCase(
        "case_when",
        [
            step(
                "case_when",
                clauses=[
                    {"conditions": [{"column": "household", "operator": ">=", "value": 4}], "then": {"value": "big"}}
                ],
                output_column="size",
                **{"else": {"value": "small"}},
            )
        ],
        lambda r: _eq(by_id(r, "size"), ["big", "small", "small", "big", "small"]),
    ),
    OpCase(
        "case_when_column",
        [
            step(
                "case_when",
                clauses=[
                    {
                        "conditions": [
                            {"column": "income", "operator": ">", "value": 1000},
                            {"column": "household", "operator": "=", "value": 0},
                        ],
                        "match": "any",
                        "then": {"column": "income"},
                    }
                ],
                output_column="big_income",
                **{"else": {"value": 0}},
            )
        ],
        lambda r: _eq(by_id(r, "big_income"), [1200.5, 0.0, 0.0, 3000.0, 450.25]),
    ),
    OpCase(
        "generic_length",
        [step("generic", function="length", args=[{"column": "city"}], output_column="n")],
        lambda r: _eq(by_id(r, "n"), [9, 10, 9, 9, 9]),
    ),
    OpCase(
        "generic_greatest",
        [step("generic", function="GREATEST", args=[{"column": "household"}, {"column": "id"}], output_column="g")],
        lambda r: _eq(by_id(r, "g"), [4, 3, 3, 5, 4]),
    ),
    OpCase(
        "generic_round",
        [step("generic", function="round", args=[{"column": "income"}, {"value": 1}], output_column="income")],
        lambda r: _eq(by_id(r, "income"), [1200.5, None, 900.0, 3000.0, 450.3]),
    ),
    # ---- combine
    OpCase(
        "join_left",
        [*TRIM_TITLE, step("join", right=DISTRICTS, on=[{"left": "district", "right": "district"}])],
        lambda r: _eq(by_id(r, "region"), ["N-Region", "N-Region", "N-Region", "S-Region", None]),
    ),
    OpCase(
        "join_inner_clash",
        [
            *TRIM_TITLE,
            step("rename_columns", mapping={"note": "region"}),
            step(
                "join",
                right=DISTRICTS,
                how="inner",
                on=[{"left": "district", "right": "district"}],
                columns=["region", "code"],
                prefix="lookup_",
            ),
        ],
        lambda r: _eq(
            (by_id(r, "lookup_region"), by_id(r, "code")),
            (["N-Region", "N-Region", "N-Region", "S-Region"], [1, 1, 1, 2]),
        ),
    ),
    OpCase(
        "join_full",
        [step("join", right=DISTRICTS, how="full", on=[{"left": "district", "right": "district"}])],
        lambda r: _eq(
            sorted((x["district"] or "", x["region"] or "") for x in r if x["region"]),
            [("North", "N-Region"), ("South", "S-Region")],
        ),
    ),
    OpCase(
        "union",
        [step("union", others=[EXTRA])],
        lambda r: _eq(
            (len(r), sorted(x["source"] or "" for x in r)[-2:], sorted(x["id"] for x in r)[-1]),
            (7, ["paper", "paper"], 11),
        ),
    ),
    # ---- reshape
    OpCase(
        "group_by",
        [
            step("trim", columns=["district"]),
            step("change_case", columns=["district"], case="lower"),
            step(
                "group_by",
                group_by=["district"],
                aggregates=[
                    {"function": "count"},
                    {"function": "sum", "column": "household"},
                    {"function": "avg", "column": "income"},
                    {"function": "count_distinct", "column": "city"},
                    {"function": "min", "column": "submitted", "output_column": "first_visit"},
                    {"function": "max", "column": "income"},
                ],
            ),
        ],
        lambda r: _eq(
            sorted(
                (
                    x["district"] or "",
                    x["count"],
                    x["sum_household"],
                    x["avg_income"],
                    x["count_distinct_city"],
                    x["first_visit"],
                    x["max_income"],
                )
                for x in r
            ),
            [
                ("", 1, 0, 450.25, 1, None, 450.25),
                ("north", 3, 10, 1050.25, 3, datetime(2024, 2, 1, 10), 1200.5),
                ("south", 1, 5, 3000.0, 1, datetime(2024, 2, 5, 12), 3000.0),
            ],
        ),
    ),
    OpCase(
        "group_all",
        [
            step(
                "group_by",
                aggregates=[{"function": "count"}, {"function": "sum", "column": "income", "output_column": "income"}],
            )
        ],
        lambda r: _eq([(x["count"], x["income"]) for x in r], [(5, 5550.75)]),
    ),
    OpCase(
        "aggregate",
        [
            step(
                "aggregate",
                aggregates=[
                    {"function": "sum", "column": "household", "output_column": "all_people"},
                    {"function": "count_distinct", "column": "id"},
                ],
            )
        ],
        lambda r: _eq(set((x["all_people"], x["count_distinct_id"]) for x in r), {(15, 4)}),
    ),
    OpCase(
        "pivot",
        [
            step("trim", columns=["district"]),
            step("change_case", columns=["district"], case="lower"),
            step(
                "pivot",
                column="district",
                values=["north", "south"],
                group_by=["id"],
                value_column="household",
                function="sum",
            ),
        ],
        lambda r: _eq(
            sorted((x["id"], x["north"], x["south"]) for x in r),
            [(1, 4, None), (2, 6, None), (3, None, 5), (4, None, None)],
        ),
    ),
    OpCase(
        "pivot_count",
        [step("pivot", column="city", values=["Bengaluru", "Bangalore"])],
        lambda r: _eq([(x["Bengaluru"], x["Bangalore"]) for x in r], [(1, 1)]),
    ),
    OpCase(
        "unpivot",
        [step("unpivot", columns=["household", "income"], keep=["id"], name_column="measure")],
        lambda r: _eq((len(r), sorted(x["value"] for x in r if x["id"] == 1)), (10, [4.0, 1200.5])),
    ),
    OpCase(
        "unpivot_text",
        [step("unpivot", columns=["household", "submitted"], cast_to="text")],
        lambda r: _eq(sorted(x["value"] or "" for x in r if x["id"] == 1), ["2024-02-01 10:00:00", "4"]),
    ),
    # ---- sql
    OpCase(
        "raw_sql",
        [step("raw_sql", sql="SELECT id, city, household * 2 AS hh2 FROM {{prev}} WHERE id < 3")],
        lambda r: _eq(sorted(x["hh2"] for x in r), [6, 6, 8]),
    ),
]
