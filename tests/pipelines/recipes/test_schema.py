"""Schema propagation errors a user meets: removed columns, join key types, cycles, bad configs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipelines.errors import BadInputError
from pipelines.recipes import (
    ColumnType,
    Recipe,
    RecipeError,
    check_cycles,
    compile_recipe,
    infer_columns,
    validate,
)
from tests.pipelines.recipes.conftest import DISTRICTS, OTHER_INPUTS, SURVEY, SURVEY_TYPES, recipe


def _drop_then_trim() -> Recipe:
    return recipe(
        {"op": "drop_columns", "config": {"columns": ["district"]}},
        {"op": "change_case", "config": {"columns": ["city"], "case": "upper"}},
        {"op": "trim", "config": {"columns": ["district"]}},
    )


def test_removed_column_error_names_step_description_and_column() -> None:
    with pytest.raises(RecipeError) as info:
        infer_columns(_drop_then_trim(), SURVEY_TYPES)
    err = info.value
    assert isinstance(err, BadInputError)
    assert (err.step, err.column) == (3, "district")
    assert "Step 3 (Trim spaces in district)" in err.message
    assert "step 1 removed" in err.message
    assert err.hint and "step 1" in err.hint


def test_compile_reports_the_same_error() -> None:
    with pytest.raises(RecipeError, match=r"Step 3 \(Trim spaces in district\).*'district'"):
        compile_recipe(_drop_then_trim(), "duckdb", input_sql="raw.survey", input_columns=SURVEY_TYPES)


def test_broken_recipe_still_opens_and_lists_its_problems() -> None:
    saved = _drop_then_trim().model_dump(mode="json")
    reopened = Recipe.model_validate(saved)  # a broken recipe still loads
    problems = validate(reopened, SURVEY_TYPES)
    assert [(p.step, p.column) for p in problems] == [(3, "district")]
    assert problems[0].description == "Trim spaces in district"


def test_validate_keeps_going_after_a_broken_step() -> None:
    rcp = recipe(
        {"op": "trim", "config": {"columns": ["nope"]}},
        {"op": "cast", "config": {"columns": [{"column": "age", "type": "BIGINT"}]}},
        {
            "op": "arithmetic",
            "config": {"operator": "add", "operands": [{"column": "city"}, {"value": 1}], "output_column": "x"},
        },
    )
    problems = validate(rcp, SURVEY_TYPES)
    assert [p.step for p in problems] == [1, 3]
    assert "does not exist" in problems[0].message
    assert "needs numbers" in problems[1].message and "city" in problems[1].message


def test_disabled_step_is_skipped_by_propagation_and_compile() -> None:
    rcp = _drop_then_trim()
    rcp.steps[0].enabled = False
    columns = infer_columns(rcp, SURVEY_TYPES)
    assert columns[0] == SURVEY_TYPES
    sql = compile_recipe(rcp, "duckdb", input_sql="raw.survey", input_columns=SURVEY_TYPES)
    assert "step_1" not in sql and "step_3" in sql


def test_join_on_mismatched_types_names_both_columns_and_types() -> None:
    join = {"right": DISTRICTS, "on": [{"left": "household", "right": "district"}]}
    with pytest.raises(RecipeError) as info:
        infer_columns(recipe({"op": "join", "config": join}), SURVEY_TYPES, OTHER_INPUTS)
    message = info.value.message
    assert "household is INTEGER" in message and "lookup.districts.district is VARCHAR" in message
    assert info.value.hint and "cast" in info.value.hint.lower()


def test_join_type_mismatch_allowed_with_explicit_text_comparison() -> None:
    join = {"right": DISTRICTS, "on": [{"left": "household", "right": "district"}], "cast_keys": True}
    columns = infer_columns(recipe({"op": "join", "config": join}), SURVEY_TYPES, OTHER_INPUTS)[-1]
    assert [c.name for c in columns][-2:] == ["region", "code"]


def test_join_with_unknown_right_input_is_a_clear_error() -> None:
    join = {"right": {"kind": "model", "model": "missing_model"}, "on": [{"left": "id", "right": "id"}]}
    with pytest.raises(RecipeError, match="columns of 'missing_model' are unknown"):
        infer_columns(recipe({"op": "join", "config": join}), SURVEY_TYPES, OTHER_INPUTS)


def test_recipe_reading_itself_is_a_cycle() -> None:
    rcp = recipe(source={"kind": "model", "model": "clean_survey"})
    with pytest.raises(RecipeError, match="depends on itself: clean_survey → clean_survey"):
        compile_recipe(rcp, "duckdb", input_sql="x", input_columns=SURVEY_TYPES)


def test_cycle_through_other_recipes_and_joins() -> None:
    a = recipe(
        {"op": "join", "config": {"right": {"kind": "model", "model": "b"}, "on": [{"left": "id", "right": "id"}]}},
        name="a",
    )
    b = Recipe(name="b", input={"kind": "model", "model": "c"})
    models = {"b": b, "c": ["a"]}  # a dependency map may also give plain model names
    with pytest.raises(RecipeError, match="a → b → c → a"):
        check_cycles(a, models)
    assert [p.message for p in validate(a, SURVEY_TYPES, {"b": [ColumnType(name="id", type="INTEGER")]}, models=models)]
    check_cycles(a, {"b": Recipe(name="b", input=SURVEY), "c": ["a"]})  # no cycle: passes


def test_bad_config_is_rejected_with_the_field_name() -> None:
    with pytest.raises(ValidationError, match="separator"):
        recipe({"op": "split_column", "config": {"column": "tags", "separator": ""}})
    with pytest.raises(ValidationError, match="unknown operation 'explode'"):
        recipe({"op": "explode", "config": {}})
    with pytest.raises(ValidationError, match="unsupported type 'MONEY'"):
        recipe({"op": "cast", "config": {"columns": [{"column": "age", "type": "MONEY"}]}})
    with pytest.raises(ValidationError, match="unsupported date directive"):
        recipe({"op": "parse_dates", "config": {"column": "visit", "formats": ["%Q"]}})


def test_step_description_is_generated_from_config() -> None:
    rcp = recipe(
        {
            "op": "mass_edit",
            "config": {"column": "city", "edits": [{"from": [f"B{i}" for i in range(13)], "to": "Bengaluru"}]},
        },
        {"op": "trim", "config": {"columns": ["district"]}, "description": "ignored"},
    )
    assert [s.description for s in rcp.steps] == [
        "Merge 14 spellings of 'Bengaluru' in city",
        "Trim spaces in district",
    ]


def test_text_operation_on_number_column_suggests_a_cast() -> None:
    with pytest.raises(RecipeError) as info:
        infer_columns(recipe({"op": "trim", "config": {"columns": ["household"]}}), SURVEY_TYPES)
    assert "'household' is INTEGER" in info.value.message
    assert info.value.hint and "Change column type" in info.value.hint
