"""Live preview on DuckDB: first rows, row count, sampling, conversion failures and warnings."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.recipes import (
    CastFailed,
    RecipeError,
    compiled_relation,
    date_facet,
    discover_pivot_values,
    materialize,
    numeric_facet,
    preview,
    text_facet,
)
from pipelines.recipes.cache import PreviewCache
from pipelines.recipes.model import Recipe, Step
from pipelines.recipes.ops.rows import RangeFacet, ValuesFacet
from tests.pipelines.recipes.conftest import DISTRICTS, recipe

SURVEY_REL = '"raw"."survey"'


def _cast_age(mode: str) -> dict[str, object]:
    return {"op": "cast", "config": {"columns": [{"column": "age", "type": "BIGINT"}], "mode": mode}}


def test_preview_limit_total_and_columns_after_a_step(con: duckdb.DuckDBPyConnection) -> None:
    rcp = recipe(
        {"op": "trim", "config": {"columns": ["district"]}},
        {"op": "drop_columns", "config": {"columns": ["payload", "note", "tags"]}},
        {"op": "where", "config": {"clauses": [{"column": "household", "operator": ">", "value": 0}]}},
    )
    result = preview(con, rcp, input_relation=SURVEY_REL, limit=2)
    assert len(result.rows) == 2 and result.total == 4 and not result.sampled
    assert [c.name for c in result.columns] == [
        "id",
        "district",
        "city",
        "visit",
        "age",
        "household",
        "income",
        "submitted",
    ]
    after_one = preview(con, rcp, input_relation=SURVEY_REL, upto=1)
    assert after_one.total == 5 and len(after_one.columns) == 11
    before_any = preview(con, rcp, input_relation=SURVEY_REL, upto=0, limit=50)
    assert " North " in [r[1] for r in before_any.rows]


def test_preview_on_a_sample_says_so(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE raw.big AS SELECT range AS id, 'v' || (range % 7) AS v FROM range(20000)")
    rcp = recipe(
        {"op": "change_case", "config": {"columns": ["v"], "case": "upper"}},
        source={"kind": "table", "schema": "raw", "table": "big"},
    )
    full = preview(con, rcp, input_relation="raw.big", limit=5)
    sampled = preview(con, rcp, input_relation="raw.big", limit=5, sample=1000)
    assert (full.total, full.sampled) == (20000, False)
    assert (sampled.total, sampled.sampled) == (1000, True)
    assert sampled.rows[0][1].startswith("V")
    again = preview(con, rcp, input_relation="raw.big", limit=5, sample=1000)
    assert again.rows == sampled.rows  # a repeatable sample: the grid does not jump on refresh


def test_strict_cast_failure_reports_count_and_examples(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO raw.survey (id, age) VALUES (5, 'n/a'), (6, 'n/a'), (7, '12 yrs')")
    rcp = recipe({"op": "trim", "config": {"columns": ["city"]}}, _cast_age("strict"))
    with pytest.raises(CastFailed) as info:
        preview(con, rcp, input_relation=SURVEY_REL)
    err = info.value
    assert (err.failed_rows, err.step, err.column) == (4, 2, "age")
    assert err.examples == ["n/a", "12 yrs", "forty"]  # most frequent first, at most 5
    assert "Step 2 (Convert age to whole number)" in err.message and "4 value(s)" in err.message
    assert err.hint and "empty when not convertible" in err.hint


def test_try_cast_turns_bad_values_empty_with_a_warning(con: duckdb.DuckDBPyConnection) -> None:
    result = preview(con, recipe(_cast_age("try")), input_relation=SURVEY_REL)
    assert sorted(r[4] for r in result.rows if r[4] is not None) == [29, 34, 41]
    assert len(result.warnings) == 1 and "1 value(s) in age" in result.warnings[0] and "'forty'" in result.warnings[0]


def test_unparseable_dates_are_counted(con: duckdb.DuckDBPyConnection) -> None:
    step = {"op": "parse_dates", "config": {"column": "visit", "formats": ["dd/mm/yyyy"]}}
    result = preview(con, recipe(step), input_relation=SURVEY_REL)
    assert len(result.warnings) == 1
    assert "2 value(s) in visit did not match 'dd/mm/yyyy'" in result.warnings[0]
    assert "'2024-02-03'" in result.warnings[0] and "'not a date'" in result.warnings[0]


def test_runtime_failure_names_the_failing_step(con: duckdb.DuckDBPyConnection) -> None:
    rcp = recipe(
        {"op": "trim", "config": {"columns": ["city"]}},
        {"op": "raw_sql", "config": {"sql": "SELECT id, CAST(city AS INTEGER) AS n FROM _prev"}},
        {"op": "trim", "config": {"columns": ["n"]}, "enabled": False},
    )
    with pytest.raises(RecipeError) as info:
        preview(con, rcp, input_relation=SURVEY_REL)
    assert info.value.step == 2 and "Step 2 (Custom SQL" in info.value.message and "Bengaluru" in info.value.message


def test_preview_resolves_join_inputs_by_name(con: duckdb.DuckDBPyConnection) -> None:
    rcp = recipe(
        {"op": "trim", "config": {"columns": ["district"]}},
        {
            "op": "join",
            "config": {"right": DISTRICTS, "how": "inner", "on": [{"left": "district", "right": "district"}]},
        },
    )
    result = preview(con, rcp, input_relation=SURVEY_REL)
    assert result.total == 2 and {r[-2] for r in result.rows} == {"N-Region", "S-Region"}


def test_pivot_values_discovered_from_data(con: duckdb.DuckDBPyConnection) -> None:
    rcp = recipe(
        {"op": "trim", "config": {"columns": ["district"]}},
        {"op": "change_case", "config": {"columns": ["district"], "case": "lower"}},
    )
    relation = compiled_relation(con, rcp, input_relation=SURVEY_REL)
    values = discover_pivot_values(con, relation, "district")
    assert values == ["north", "south"]
    with pytest.raises(RecipeError, match="more than 2 distinct values"):
        discover_pivot_values(con, SURVEY_REL, "city", limit=2)


def test_text_facet_with_other_facets_applied(con: duckdb.DuckDBPyConnection) -> None:
    rcp = recipe(
        {"op": "trim", "config": {"columns": ["district"]}},
        {"op": "change_case", "config": {"columns": ["district"], "case": "lower"}},
    )
    relation = compiled_relation(con, rcp, input_relation=SURVEY_REL)
    facet = text_facet(con, relation, "district")
    assert [(v.value, v.count) for v in facet.values] == [("north", 3), ("south", 1), (None, 1)]
    assert (facet.distinct, facet.rows) == (3, 5)
    narrowed = text_facet(con, relation, "district", filters=[RangeFacet(column="household", min=4)])
    assert [(v.value, v.count) for v in narrowed.values] == [("north", 1), ("south", 1)]
    same = text_facet(con, relation, "district", filters=[ValuesFacet(column="district", values=["south"])])
    assert same.rows == 5  # a facet ignores its own selection, as in OpenRefine


def test_numeric_and_date_facets(con: duckdb.DuckDBPyConnection) -> None:
    facet = numeric_facet(con, SURVEY_REL, "income", bins=4)
    assert (facet.min, facet.max, facet.empty) == (450.25, 3000.0, 1)
    assert sum(b.count for b in facet.bins) == 4 and facet.bins[0].count == 2 and facet.bins[-1].count == 1
    dates = date_facet(con, SURVEY_REL, "submitted", bins=2)
    assert dates.empty == 1 and [b.count for b in dates.bins] == [2, 2]
    assert dates.bins[0].start == dates.min
    with pytest.raises(RecipeError, match="needs a number column"):
        numeric_facet(con, SURVEY_REL, "city")


def test_materialize_writes_the_table_and_keeps_the_old_one_on_failure(con: duckdb.DuckDBPyConnection) -> None:
    good = recipe({"op": "trim", "config": {"columns": ["district"]}})
    assert materialize(con, good, input_relation=SURVEY_REL, schema="analytics", table="clean") == 5
    bad = recipe({"op": "cast", "config": {"columns": [{"column": "age", "type": "BIGINT"}]}})
    with pytest.raises(RecipeError, match=r"Could not write analytics\.clean"):
        materialize(con, bad, input_relation=SURVEY_REL, schema="analytics", table="clean")
    assert con.execute("SELECT COUNT(*), MIN(district) FROM analytics.clean").fetchone() == (5, "NORTH")


def test_cache_reuses_unchanged_steps_and_keys_on_data_version(con: duckdb.DuckDBPyConnection) -> None:
    cache = PreviewCache(max_entries=4)
    first = recipe(
        {"op": "trim", "config": {"columns": ["district"]}},
        {"op": "deduplicate", "config": {"keys": ["id"], "order_by": "submitted"}},
        {"op": "change_case", "config": {"columns": ["district"], "case": "upper"}},
    )
    cold = preview(con, first, input_relation=SURVEY_REL, cache=cache, data_version="sync-1")
    assert cold.total == 4 and len(cache) == 2  # outputs of step 2 (before the last) and step 3
    con.execute("DELETE FROM raw.survey WHERE id = 3")  # data changes, but the caller did not say so yet
    edited = Recipe.model_validate(first.model_dump())
    edited.steps[2] = Step(op="change_case", config={"columns": ["district"], "case": "lower"})
    warm = preview(con, edited, input_relation=SURVEY_REL, cache=cache, data_version="sync-1")
    assert warm.total == 4 and "south" in [r[1] for r in warm.rows]  # steps 1-2 came from the cache
    fresh = preview(con, edited, input_relation=SURVEY_REL, cache=cache, data_version="sync-2")
    assert fresh.total == 3 and "south" not in [r[1] for r in fresh.rows]
    uncached = preview(con, edited, input_relation=SURVEY_REL)
    assert sorted(map(repr, fresh.rows)) == sorted(map(repr, uncached.rows))
    assert len(cache) == 4  # the oldest entry was dropped
    preview(con, first, input_relation=SURVEY_REL, cache=cache, data_version="sync-3")
    assert len(cache) == 4
    assert con.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE database_name = 'dalgo_preview'").fetchone() == (4,)
    cache.clear(con)
    assert len(cache) == 0 and con.execute(
        "SELECT COUNT(*) FROM duckdb_tables() WHERE database_name = 'dalgo_preview'"
    ).fetchone() == (0,)


def test_cache_keeps_warnings_and_step_numbers(con: duckdb.DuckDBPyConnection) -> None:
    cache = PreviewCache()
    base = [
        _cast_age("try"),
        {"op": "group_by", "config": {"group_by": ["district"], "aggregates": [{"function": "count"}]}},
    ]
    first = preview(con, recipe(*base), input_relation=SURVEY_REL, cache=cache)
    again = preview(
        con, recipe(*base, {"op": "trim", "config": {"columns": ["district"]}}), input_relation=SURVEY_REL, cache=cache
    )
    assert first.warnings == again.warnings and "Step 1" in again.warnings[0]
    broken = recipe(*base, {"op": "cast", "config": {"columns": [{"column": "district", "type": "INTEGER"}]}})
    with pytest.raises(CastFailed) as info:
        preview(con, broken, input_relation=SURVEY_REL, cache=cache)
    assert info.value.step == 3 and info.value.failed_rows == 4
