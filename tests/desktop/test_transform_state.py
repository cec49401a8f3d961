"""The Transform view models driven headless against the real server and real dbt."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.state.banner import Level
from desktop.state.recipe import RecipeModel, column_actions
from desktop.state.recipe_tests import make_test
from desktop.state.session import AppState
from desktop.state.sql_model import SqlModelState
from desktop.state.transform import TransformModel, node_rows
from tests.desktop.conftest import ADMIN, PASSWORD
from tests.desktop.transform_helpers import CSV, load_csv

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_in(headless: AppState, url: str, dalgo_home: Path) -> AppState:
    from desktop.state.server import ServerTarget

    headless.local_ready(ServerTarget.local(url, dalgo_home))
    headless.setup(ADMIN, PASSWORD, PASSWORD, "Alpha Office", False)
    assert headless.client is not None
    headless.client.use_org(headless.org.org.slug if headless.org else None)
    return headless


def _open_new_recipe(state: AppState, tmp_path: Path) -> tuple[TransformModel, RecipeModel]:
    assert state.client is not None
    schema, table = load_csv(state.client, tmp_path)
    transform = TransformModel(state, poll_interval=0.05)
    recipe = RecipeModel(state)
    transform.created.connect(lambda item: recipe.open(item.recipe_id))
    transform.load()
    assert (schema, table) in transform.tables
    transform.new_recipe("Clean villages", f"{schema}.{table}")
    assert recipe.recipe is not None and recipe.preview is not None, state.banner.notice
    return transform, recipe


def test_recipe_flow_trim_cluster_undo_redo_preview_save_and_run(signed_in: AppState, tmp_path: Path) -> None:
    transform, recipe = _open_new_recipe(signed_in, tmp_path)
    assert recipe.preview and recipe.preview["total"] == 5 and "city" in recipe.columns
    trim = next(a for a in column_actions("city") if a.op == "trim")
    recipe.add_step(trim.op, trim.config)
    assert recipe.steps[0]["description"].lower().startswith("trim")
    assert "Bengaluru" in [row[recipe.columns.index("city")] for row in recipe.preview["rows"]]

    recipe.load_clusters("city")
    assert len(recipe.clusters) == 1
    values = [v[0] for v in recipe.clusters[0]["values"]]
    recipe.accept_clusters([(values, "Bengaluru")])
    assert len(recipe.steps) == 2 and "Bengaluru" in recipe.steps[-1]["description"]
    recipe.load_facet("city")
    assert recipe.facet and {v["value"]: v["count"] for v in recipe.facet["values"]}["Bengaluru"] == 3

    recipe.undo()
    assert len(recipe.steps) == 1 and recipe.recipe and recipe.recipe["can_redo"]
    recipe.redo()
    assert len(recipe.steps) == 2

    recipe.select(0)
    assert recipe.preview["upto"] == 0 and "of the input" in recipe.preview_summary()
    recipe.set_sample(True)
    assert "approximate" in recipe.preview_summary()

    recipe.save()
    assert recipe.saved and recipe.saved["name"] == "clean_villages" and recipe.saved["path"].endswith(".sql")
    transform.run(["clean_villages"])
    assert transform.job and transform.job.status == "succeeded", signed_in.banner.notice
    rows = {r[0]: r for r in node_rows(transform.job)}
    assert rows["clean_villages"][1] == "Succeeded"
    assert signed_in.banner.notice and signed_in.banner.notice.level == Level.success
    item = transform.find("clean_villages")
    assert item and item.kind == "recipe" and item.status == "Succeeded"

    transform.load_lineage("clean_villages")
    assert transform.lineage and transform.lineage["upstream"] and transform.lineage_png[:4] == b"\x89PNG"


def test_problems_mass_edit_disable_move_delete_and_eject(signed_in: AppState, tmp_path: Path) -> None:
    _transform, recipe = _open_new_recipe(signed_in, tmp_path)
    recipe.add_step("drop_columns", {"columns": ["city"]})
    recipe.add_step("trim", {"columns": ["city"]})
    assert recipe.problems_of(2) and "city" in recipe.problems_of(2)[0] and not recipe.problems_of(1)
    first = recipe.steps[0]["id"]
    recipe.set_enabled(first, False)
    assert not recipe.steps[0]["enabled"] and not recipe.problems_of(2)
    recipe.move_step(first, +1)
    assert recipe.steps[1]["id"] == first
    recipe.delete_step(first)
    recipe.mass_edit("city", "Mysuru", "Mysore")
    assert "Mysore" in [r[recipe.columns.index("city")] for r in recipe.preview["rows"]]  # type: ignore[index]

    ejected: list[dict] = []
    recipe.eject(ejected.append)
    assert ejected and ejected[0]["path"].startswith("models/sql/")
    assert recipe.ejected and not recipe.can_edit
    sql = SqlModelState(signed_in)
    sql.open(ejected[0]["name"])
    assert sql.model and sql.editable and "Mysore" in sql.model["sql"]


def test_facet_clicks_filter_the_preview_and_leave_the_recipe_alone(signed_in: AppState, tmp_path: Path) -> None:
    _transform, recipe = _open_new_recipe(signed_in, tmp_path)
    recipe.add_step("trim", {"columns": ["city"]})
    steps = recipe.steps
    recipe.load_facet("city")
    recipe.toggle_value("city", "Mysuru")
    assert recipe.preview and recipe.preview["total"] == 1
    assert recipe.filter_text() == "Filtered: city = Mysuru" and "matching the filters" in recipe.preview_summary()
    recipe.toggle_value("city", "Bangalore")  # multi-select: either value
    assert recipe.preview["total"] == 2 and recipe.chosen_values("city") == ["Mysuru", "Bangalore"]

    recipe.load_facet("households", "numeric")
    recipe.set_range("households", "5", "")  # the empty end is the facet's max under the city selection
    assert recipe.filter_list()[-1] == {"column": "households", "op": "between", "value": ["5", 9]}
    assert recipe.preview["total"] == 1 and recipe.preview["rows"][0][recipe.columns.index("city")] == "Mysuru"
    assert [c for c, _ in recipe.filter_chips()] == ["city", "households"]
    recipe.load_facet("city")  # counts follow the other facet's range: 7 and 9 households
    assert {v["value"]: v["count"] for v in recipe.facet["values"]} == {"bengaluru": 1, "Mysuru": 1}  # type: ignore[index]

    recipe.clear_filter("city")
    assert recipe.preview["total"] == 2 and recipe.filter_text() == "Filtered: households from 5 to 9"
    recipe.toggle_value("city", "Mysuru")
    recipe.toggle_value("city", "Mysuru")  # a second click takes it out again
    assert "city" not in recipe.filters and recipe.preview["total"] == 2
    recipe.clear_filter()
    assert recipe.filters == {} and recipe.filter_text() == "" and recipe.preview["total"] == 5
    assert recipe.steps == steps and len(recipe.steps) == 1


def test_sql_model_create_edit_and_a_failed_run_names_the_model_and_line(signed_in: AppState, tmp_path: Path) -> None:
    assert signed_in.client is not None
    load_csv(signed_in.client, tmp_path)
    transform = TransformModel(signed_in, poll_interval=0.05)
    transform.load()
    created: list[str] = []
    transform.created.connect(lambda item: created.append(item.name))
    source = transform.tables[0]
    transform.new_sql_model("City counts", f"select city, count(*) as n from {source[0]}.{source[1]} group by city")
    assert created == ["city_counts"], signed_in.banner.notice
    sql = SqlModelState(signed_in)
    sql.open("city_counts")
    assert sql.editable and sql.read_only_note() == ""
    sql.save("select city,, from broken")
    transform.run(["city_counts"])
    assert transform.job and transform.job.status == "failed"
    notice = signed_in.banner.notice
    assert notice and notice.level == Level.error and "city_counts" in notice.text and "line" in notice.text
    assert [r[1] for r in node_rows(transform.job) if r[0] == "city_counts"] == ["Failed"]


def test_column_tests_saved_with_the_recipe_report_warn_and_fail_per_test(signed_in: AppState, tmp_path: Path) -> None:
    assert signed_in.client is not None
    load_csv(signed_in.client, tmp_path, CSV.replace("Mysuru,South,9", "Mysuru,South,"))
    transform = TransformModel(signed_in, poll_interval=0.05)
    recipe = RecipeModel(signed_in)
    transform.created.connect(lambda item: recipe.open(item.recipe_id))
    transform.load()
    transform.new_recipe("Checked villages", "{}.{}".format(*transform.tables[0]))
    recipe.add_step("trim", {"columns": ["city", "district"]})
    tests = [
        make_test("city", "not_null", severity="warn"),
        make_test("households", "not_null", severity="warn"),  # one household count is empty
        make_test("city", "accepted_values", "Bengaluru, Mysuru", "error"),  # bengaluru, BENGALURU, Bangalore
        make_test("district", "accepted_values", "North, South", "error"),
    ]
    recipe.save_docs("Villages surveyed", {"city": "Where the village is", "district": " "}, tests)
    assert recipe.tests == [{**t, "values": t.get("values", [])} for t in tests], signed_in.banner.notice
    assert recipe.description == "Villages surveyed" and recipe.column_descriptions == {"city": "Where the village is"}
    with pytest.raises(ValueError, match="accepted values of city"):
        make_test("city", "accepted_values", " , ")

    recipe.save()
    transform.run(["checked_villages"])
    assert transform.job and transform.job.status == "succeeded", signed_in.banner.notice
    transform.test(["checked_villages"])
    assert transform.job and transform.job.status == "failed"
    rows = {r[0]: r for r in node_rows(transform.job)}
    status = {name: rows[name][1] for name in rows}
    assert status["not_null_checked_villages_city"] == "Passed"
    assert status["not_null_checked_villages_households"] == "Warning"
    assert "1 failing rows (severity warn)" in rows["not_null_checked_villages_households"][4]
    failed = [name for name, word in status.items() if word == "Failed"]
    assert len(failed) == 1 and failed[0].startswith("accepted_values_checked_villages_city")
    assert "3 failing rows (severity error)" in rows[failed[0]][4]
    passed = [name for name, word in status.items() if word == "Passed"]
    assert len(passed) == 2 and any(name.startswith("accepted_values_checked_villages_district") for name in passed)
