"""The in-process dbt runner on DuckDB, with the app's connection to the same file open all along."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines.dbt.errors import DbtProjectError
from pipelines.dbt.profiles import DuckDBTarget
from pipelines.dbt.project import OrgDbtProject
from pipelines.dbt.results import RunResult
from pipelines.dbt.runner import DbtRunner, NodeProgress
from tests.conftest import EXTENSION_DIR
from tests.pipelines.dbt.conftest import TEMPLATE, DuckOrg
from tests.pipelines.dbt.macro_cases import MODELS, check_macro_results

SRC = "{{ source('raw_survey', 'visits') }}"


def test_run_builds_tables_that_the_open_app_connection_reads(duck_org: DuckOrg) -> None:
    project, runner = duck_org.project, duck_org.runner
    project.write_model(
        "run_totals",
        f"select district, sum(visits) as visits from {SRC} group by district",
        {"description": "Visits per district", "columns": [{"name": "district", "description": "District name"}]},
    )
    project.write_sql_model("run_top", "select * from {{ ref('run_totals') }} order by visits desc limit 1")
    cwd = os.getcwd()

    result = runner.run(["run_totals+"])

    assert result.success and not result.cancelled and result.error is None
    assert os.getcwd() == cwd
    assert [n.name for n in result.nodes] == ["run_totals", "run_top"]
    totals = result.node("run_totals")
    assert (totals.status, totals.resource_type, totals.materialized) == ("success", "model", "table")
    assert totals.rows_affected == 3 and result.node("run_top").rows_affected == 1
    assert totals.execution_time > 0
    assert totals.file == "models/recipes/run_totals.sql"
    assert totals.relation == '"warehouse"."analytics"."run_totals"'
    assert duck_org.query("select * from analytics.run_top") == [("Bengaluru", 14)]
    assert "OK created sql table model analytics.run_totals" in result.logs
    assert "\x1b[" not in result.logs
    assert json.loads(json.dumps(result.to_dict()))["nodes"][0]["name"] == "run_totals"


def test_vendored_macros_on_duckdb(duck_org: DuckOrg) -> None:
    for name, sql in MODELS.items():
        duck_org.project.write_sql_model(name, sql, replace=True)

    result = duck_org.runner.run(["mac_pivot", "mac_unpivot", "mac_divide", "mac_union"])

    assert result.success, result.error or [n.message for n in result.nodes]
    columns = lambda table: [  # noqa: E731
        r[0] for r in duck_org.query(f"select column_name from duckdb_columns() where schema_name = 'analytics' "
                                     f"and table_name = '{table}' order by column_index")
    ]  # fmt: skip
    check_macro_results(columns, duck_org.query)


def test_dbt_tests_report_pass_warn_and_fail_by_severity(duck_org: DuckOrg) -> None:
    duck_org.project.write_model(
        "tested_visits",
        f"select * from {SRC}",
        {
            "columns": [
                {"name": "visits", "data_tests": ["not_null"]},
                {"name": "month", "data_tests": ["not_null"]},
                {
                    "name": "district",
                    "data_tests": [
                        {
                            "accepted_values": {
                                "arguments": {"values": ["Bengaluru", "Mysuru"]},
                                "config": {"severity": "warn"},
                            }
                        }
                    ],
                },
            ]
        },
    )

    result = duck_org.runner.build(["tested_visits"])

    assert not result.success
    assert result.node("tested_visits").status == "success"
    tests = {n.name: n for n in result.nodes if n.resource_type == "test"}
    assert {name: (t.status, t.failures, t.severity) for name, t in tests.items()} == {
        "not_null_tested_visits_visits": ("pass", 0, "error"),
        "not_null_tested_visits_month": ("fail", 1, "error"),
        "accepted_values_tested_visits_district__Bengaluru__Mysuru": ("warn", 1, "warn"),
    }
    assert "Got 1 result" in (tests["not_null_tested_visits_month"].message or "")


def test_jinja_compile_error_names_the_model_file_and_line(duck_org: DuckOrg) -> None:
    project = duck_org.project
    project.write_sql_model("cmp_bad", "select\n  district,\n  {{ ref('run_totals' oops) }}\nfrom " + SRC + "\n")
    try:
        result = duck_org.runner.run(["cmp_bad"])
    finally:
        project.delete_model("cmp_bad")

    assert not result.success and result.nodes == []
    assert (result.error_file, result.error_line) == ("models/sql/cmp_bad.sql", 3)
    assert "Compilation Error in model cmp_bad" in (result.error or "")
    assert duck_org.query("select count(*) from duckdb_tables() where table_name = 'cmp_bad'") == [(0,)]
    assert duck_org.runner.run(["run_totals"]).success  # the project parses again once the file is gone


def test_failed_model_keeps_its_previous_table_and_reports_the_line(duck_org: DuckOrg) -> None:
    project, runner = duck_org.project, duck_org.runner
    project.write_sql_model("keep_prev", f"select 1 as version, count(*) as n from {SRC}")
    assert runner.run(["keep_prev"]).success
    project.write_sql_model(
        "keep_prev", "select\n  2 as version,\n  visits +* 2 as broken\nfrom " + SRC + "\n", replace=True
    )
    try:
        result = runner.run(["keep_prev"])
    finally:
        project.delete_model("keep_prev")

    node = result.node("keep_prev")
    assert not result.success and node.status == "error"
    assert (node.file, node.line) == ("models/sql/keep_prev.sql", 3)
    assert "+*" in (node.message or "")
    assert duck_org.query("select version, n from analytics.keep_prev") == [(1, 5)]
    leftovers = duck_org.query("select table_name from duckdb_tables() where table_name like 'keep_prev__dbt%'")
    assert leftovers == []


def test_manifest_stays_warm_until_a_project_file_changes(duck_org: DuckOrg) -> None:
    project, runner = duck_org.project, duck_org.runner
    project.write_sql_model("warm_a", "select 1 as v")
    first = runner.run(["warm_a"])
    parses = runner.parse_count

    second = runner.run(["warm_a"])

    assert first.parsed and not second.parsed and runner.parse_count == parses
    project.write_sql_model("warm_a", "select 2 as v", replace=True)
    third = runner.run(["warm_a"])
    assert third.parsed and runner.parse_count == parses + 1
    assert duck_org.query("select v from analytics.warm_a") == [(2,)]


def test_cancel_from_another_thread_stops_the_running_model_and_its_children(duck_org: DuckOrg) -> None:
    project, runner = duck_org.project, duck_org.runner
    project.write_sql_model(
        "slow_cancel", "select count(*) as n from range(200000) a, range(200000) b where (a.range * b.range) % 7 = 3"
    )
    project.write_sql_model("after_slow", "select * from {{ ref('slow_cancel') }}")
    cancel, started = threading.Event(), threading.Event()
    seen: list[NodeProgress] = []
    outcome: list[RunResult] = []

    def progress(event: NodeProgress) -> None:
        seen.append(event)
        if event.event == "start" and event.name == "slow_cancel":
            started.set()

    # As the server does: the run happens in a worker thread, the cancel request arrives on another.
    worker = threading.Thread(
        target=lambda: outcome.append(runner.run(["slow_cancel+"], cancel_event=cancel, progress=progress))
    )
    try:
        worker.start()
        assert started.wait(120)
        cancel.set()
        worker.join(120)
    finally:
        project.delete_model("after_slow")
        project.delete_model("slow_cancel")

    assert not worker.is_alive() and len(outcome) == 1
    result = outcome[0]
    assert result.cancelled and not result.success
    assert result.node("slow_cancel").status == "cancelled"
    assert all(n.status != "success" for n in result.nodes)
    assert [(e.event, e.name) for e in seen][:1] == [("start", "slow_cancel")]
    tables = "select count(*) from duckdb_tables() where table_name in ('slow_cancel', 'after_slow')"
    assert duck_org.query(tables) == [(0,)]
    assert runner.run(["run_totals"]).success  # dbt still works after a cancel


def test_runs_from_two_threads_are_serialised(duck_org: DuckOrg) -> None:
    duck_org.project.write_sql_model("twin_a", "select 1 as a")
    duck_org.project.write_sql_model("twin_b", "select 2 as b")
    results: list[RunResult] = []
    threads = [
        threading.Thread(target=lambda name=name: results.append(duck_org.runner.run([name])))
        for name in ("twin_a", "twin_b")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted((r.success, [n.name for n in r.nodes]) for r in results) == [(True, ["twin_a"]), (True, ["twin_b"])]
    assert duck_org.query("select a, b from analytics.twin_a, analytics.twin_b") == [(1, 2)]


def test_seed_runs_from_the_project_folder(duck_org: DuckOrg) -> None:
    shutil.copy(TEMPLATE / "samples" / "seeds" / "districts.csv", duck_org.project.path / "seeds" / "districts.csv")
    cwd = os.getcwd()
    result = duck_org.runner.seed(["districts"])
    assert result.success, result.error
    assert result.node("districts").rows_affected == 4
    assert os.getcwd() == cwd
    assert duck_org.query("select district from analytics.districts where district_code = 'MYS'") == [("Mysuru",)]


def test_compile_returns_the_sql_dbt_would_run(duck_org: DuckOrg) -> None:
    duck_org.project.write_sql_model("compiled_one", f"select district from {SRC} where visits > 4")
    result = duck_org.runner.compile(["compiled_one"])
    assert result.success
    sql = result.compiled[result.node("compiled_one").unique_id]
    assert '"warehouse"."raw_survey"."visits"' in sql and "{{" not in sql
    assert duck_org.query("select count(*) from duckdb_tables() where table_name = 'compiled_one'") == [(0,)]


def test_a_missing_project_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DbtProjectError, match="No dbt project") as err:
        DbtRunner(tmp_path / "nowhere").run()
    assert err.value.hint


def test_profile_alone_loads_extensions_from_the_local_folder(tmp_path: Path) -> None:
    """No app connection this time: the runner's confined connection sets UTC and loads icu from the org's folder."""
    target = DuckDBTarget(tmp_path / "alone.duckdb", EXTENSION_DIR)
    project = OrgDbtProject(tmp_path / "dbt")
    project.ensure(TEMPLATE, target)
    project.write_sql_model(
        "tz_check",
        "select timezone('Asia/Kolkata', TIMESTAMPTZ '2024-01-01 00:00:00+00') as local_time,\n"
        "  current_setting('TimeZone') as tz",
    )
    result = DbtRunner(project.path, target).run()
    assert result.success, result.error or result.nodes
    con = duckdb.connect(str(tmp_path / "alone.duckdb"))
    local_time, tz = con.execute("select * from analytics.tz_check").fetchone()
    con.close()
    assert str(local_time) == "2024-01-01 05:30:00"  # icu loaded from the local folder
    assert tz in ("UTC", "Etc/UTC")


def test_progress_says_where_each_model_stands(duck_org: DuckOrg) -> None:
    """Save-and-run shows "2 of 3" while it works: dbt's start lines carry the node's place in the command."""
    duck_org.project.write_sql_model("first_one", "select 1 as n")
    duck_org.project.write_sql_model("second_one", "select n + 1 as n from {{ ref('first_one') }}")
    seen: list[NodeProgress] = []
    result = duck_org.runner.run(["first_one+"], progress=seen.append)
    assert result.success, result.error
    placed = {(e.name, e.index, e.total) for e in seen if e.event == "start" and e.index is not None}
    assert placed == {("first_one", 1, 2), ("second_one", 2, 2)}
    assert {e.name for e in seen if e.event == "finish" and e.total == 2} == {"first_one", "second_one"}
