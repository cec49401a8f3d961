"""The step form's view model, headless: schema → controls, values → config, server refusals → the field."""

from __future__ import annotations

import pytest

from desktop.state.step_form import collect, form_of, shown, title_at, walk
from desktop.state.step_words import facet_filter_config, grouped, plain, refusal, server_errors, typed, value_kind
from pipelines.recipes.ops import OPERATIONS


def schema(op: str) -> dict:
    return OPERATIONS[op].config_schema()


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_every_operation_maps_to_controls_not_json(op: str) -> None:
    kinds = {n.kind for n in walk(form_of(schema(op)))}
    assert "unsupported" not in kinds and "json" not in kinds, (op, kinds)


def test_filter_rows_is_clause_rows_of_column_operator_value_with_and_or() -> None:
    form = form_of(schema("where"))
    clauses, match = form.children
    assert (clauses.kind, clauses.title, match.kind) == ("objects", "Conditions", "choice")
    assert clauses.item is not None and [c.kind for c in clauses.item.children][:3] == ["column", "choice", "value"]
    assert match.options == ["all", "any"]
    condition = clauses.item
    assert [c.key for c in shown(condition, {"operator": "is_null"})] == ["column", "operator"]
    assert "value2" in [c.key for c in shown(condition, {"operator": "between"})]
    assert "value_column" not in [c.key for c in shown(condition, {"operator": "contains"})]


def test_fields_of_another_mode_are_hidden() -> None:
    fill = form_of(schema("fill_nulls"))
    assert [c.key for c in shown(fill, {"mode": "constant"})] == ["columns", "mode", "value"]
    assert [c.key for c in shown(fill, {"mode": "previous"})] == ["columns", "mode", "order_by", "partition_by"]
    split = [c.key for c in shown(form_of(schema("split_column")), {"mode": "rows"})]
    assert "count" not in split and "names" not in split and "separator" in split


def test_collect_names_missing_fields_in_plain_words_and_keeps_valid_ones() -> None:
    form = form_of(schema("where"))
    raw = {"clauses": [{"column": "city", "operator": "="}, {"column": None, "operator": "is_null"}], "match": "any"}
    config, errors = collect(form, raw)
    assert errors == {
        ("clauses", 0, "value"): "Type a value to compare with.",
        ("clauses", 1, "column"): "Choose a column.",
    }
    assert title_at(form, ("clauses", 1, "column")) == "Conditions, row 2, Column"
    good = {"clauses": [{"column": "city", "operator": "in", "value": ["A", "B"], "value2": None}], "match": "all"}
    config, errors = collect(form, good)
    assert not errors and OPERATIONS["where"].parse(config)
    assert config == {"clauses": [{"column": "city", "operator": "in", "value": ["A", "B"]}], "match": "all"}


def test_server_refusals_point_at_the_field_in_plain_words() -> None:
    detail = (
        "The where step is not valid: clauses.0.operator: Field required; clauses.0.op: Extra inputs are not permitted"
    )
    assert server_errors(detail) == (
        [(("clauses", 0, "operator"), "Fill this in."), (("clauses", 0, "op"), "This is not a setting of this step.")],
        "",
    )
    cast = "The cast step is not valid: columns.0.type: unsupported type 'XYZ'; use one of VARCHAR, BIGINT"
    assert server_errors(cast) == (
        [(("columns", 0, "type"), "“XYZ” is not a type this step knows; choose one from the list.")],
        "",
    )
    assert plain("Input should be 'all' or 'any'") == "Choose one of 'all' or 'any'."
    assert plain("List should have at least 1 item after validation, not 0") == "Add at least 1."
    assert server_errors("column 'town' does not exist") == ([], "Column 'town' does not exist")

    class Refused(Exception):
        detail, status = "The where step is not valid: match: Input should be 'all' or 'any'", 400

    assert refusal(Refused()) == ([(("match",), "Choose one of 'all' or 'any'.")], "")
    assert refusal(ConnectionError("offline")) == ([], "offline")


def test_values_are_typed_to_their_column() -> None:
    assert [value_kind(t) for t in ("BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN", "VARCHAR")] == [
        "integer", "number", "date", "timestamp", "boolean", "text",
    ]  # fmt: skip
    assert typed("12", "integer") == 12 and typed("1.5", "number") == 1.5 and typed("12", "text") == "12"


def test_keep_facet_selection_config_from_the_ticked_values() -> None:
    filters = {"city": {"values": ["Mysuru", None]}, "households": {"range": [3, 9]}}
    config = facet_filter_config(filters)
    assert config == {
        "facets": [
            {"kind": "values", "column": "city", "values": ["Mysuru"], "include_null": True},
            {"kind": "range", "column": "households", "min": 3, "max": 9},
        ]
    }
    assert OPERATIONS["facet_filter"].parse(config)


def test_add_step_list_is_grouped_by_purpose_in_a_fixed_order_with_search() -> None:
    operations = [{"op": op, "name": spec.name, "family": spec.family} for op, spec in OPERATIONS.items()]
    groups = grouped(operations)
    assert [g for g, _ in groups] == ["Clean text", "Fix values", "Rows", "Columns", "Combine tables", "Reshape",
                                      "Advanced"]  # fmt: skip
    listed = [o["op"] for _, ops in groups for o in ops]
    assert sorted(listed) == sorted([*OPERATIONS, "clusters"])
    assert grouped(list(reversed(operations))) == groups
    found = dict(grouped(operations, "dates"))
    assert list(found) == ["Fix values"] and [o["name"] for o in found["Fix values"]] == ["Parse dates"]
    assert any(o["name"] == "Cluster and merge" for _, ops in grouped(operations, "cluster") for o in ops)
