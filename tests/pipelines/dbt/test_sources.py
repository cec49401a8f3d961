"""sources.yml follows the warehouse's raw schemas and keeps what the user wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.dbt.errors import DbtProjectError
from pipelines.dbt.profiles import DuckDBTarget
from pipelines.dbt.project import OrgDbtProject
from pipelines.dbt.sources import prune_sources_yml, raw_tables_from_duckdb, sync_sources_yml
from pipelines.dbt.yamlio import dump_yaml, load_yaml_file
from pipelines.duckdb_conn import connect
from tests.conftest import EXTENSION_DIR
from tests.pipelines.dbt.conftest import TEMPLATE


@pytest.fixture
def project(tmp_path: Path) -> OrgDbtProject:
    project = OrgDbtProject(tmp_path / "dbt")
    project.ensure(TEMPLATE, DuckDBTarget(tmp_path / "w.duckdb", EXTENSION_DIR))
    return project


def _sources(project: OrgDbtProject) -> dict[str, dict[str, list[str]]]:
    doc = load_yaml_file(project.models_dir / "sources.yml")
    return {
        s["name"]: {t["name"]: [c["name"] for c in t.get("columns", [])] for t in s.get("tables", [])}
        for s in doc["sources"]
    }


def test_new_raw_tables_appear_with_their_columns(project: OrgDbtProject, tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb", extension_dir=EXTENSION_DIR)
    con.execute("CREATE SCHEMA raw_kobo; CREATE SCHEMA analytics; CREATE SCHEMA raw_odk")
    con.execute("CREATE TABLE raw_kobo.households (id INTEGER, district VARCHAR, _dalgo_loaded_at TIMESTAMP)")
    con.execute("CREATE TABLE raw_kobo._dalgo_state (stream VARCHAR)")
    con.execute("CREATE TABLE raw_odk.visits (visit_id VARCHAR)")
    con.execute("CREATE TABLE analytics.report (x INTEGER)")

    change = sync_sources_yml(project, raw_tables_from_duckdb(con))

    assert _sources(project) == {
        "raw_kobo": {"households": ["id", "district", "_dalgo_loaded_at"]},
        "raw_odk": {"visits": ["visit_id"]},
    }
    assert sorted(change.added) == ["raw_kobo.households", "raw_odk.visits"] and change.written
    doc = load_yaml_file(project.models_dir / "sources.yml")
    households = doc["sources"][0]["tables"][0]
    assert doc["sources"][0]["schema"] == "raw_kobo"
    assert households["columns"][0] == {"name": "id", "data_type": "INTEGER"}
    assert sync_sources_yml(project, raw_tables_from_duckdb(con)).written is False
    con.close()


def test_user_descriptions_and_hand_written_sources_survive_a_resync(project: OrgDbtProject) -> None:
    sync_sources_yml(project, [("raw_kobo", "households", ["id", "district"]), ("raw_kobo", "members", ["id"])])
    path = project.models_dir / "sources.yml"
    doc = load_yaml_file(path)
    kobo = doc["sources"][0]
    kobo["description"] = "Household survey 2024"
    kobo["tables"][0]["description"] = "One row per household"
    kobo["tables"][0]["columns"][1]["data_tests"] = ["not_null"]
    doc["sources"].append({"name": "crm", "schema": "crm_export", "tables": [{"name": "donors"}]})
    path.write_text(dump_yaml(doc))

    change = sync_sources_yml(
        project, [("raw_kobo", "households", ["id", "district", "village"]), ("raw_kobo", "visits", ["id"])]
    )

    assert change.added == ["raw_kobo.visits"] and change.removed == ["raw_kobo.members"]
    doc = load_yaml_file(path)
    kobo = doc["sources"][0]
    assert kobo["description"] == "Household survey 2024"
    assert [t["name"] for t in kobo["tables"]] == ["households", "visits"]
    households = kobo["tables"][0]
    assert households["description"] == "One row per household"
    assert households["columns"] == [
        {"name": "id"},
        {"name": "district", "data_tests": ["not_null"]},
        {"name": "village"},
    ]
    assert doc["sources"][1] == {"name": "crm", "schema": "crm_export", "tables": [{"name": "donors"}]}


def test_a_schema_that_disappeared_is_dropped(project: OrgDbtProject) -> None:
    sync_sources_yml(project, [("raw_kobo", "households", ["id"]), ("raw_odk", "visits", ["id"])])
    change = sync_sources_yml(project, [("raw_odk", "visits", ["id"])])
    assert change.removed == ["raw_kobo.households"]
    assert list(_sources(project)) == ["raw_odk"]


def test_broken_sources_yml_is_reported_and_left_untouched(project: OrgDbtProject) -> None:
    path = project.models_dir / "sources.yml"
    path.write_text("version: 2\nsources:\n  - name: raw_kobo\n   tables: [\n")
    with pytest.raises(DbtProjectError, match=r"sources.yml is not valid YAML") as err:
        sync_sources_yml(project, [("raw_kobo", "households", ["id"])])
    assert err.value.hint
    assert path.read_text().endswith("tables: [\n")


def test_tables_declared_by_another_yml_are_left_to_it(project: OrgDbtProject) -> None:
    sync_sources_yml(project, [("raw_kobo", "households", ["id"]), ("raw_kobo", "members", ["id"])])
    (project.models_dir / "sql").mkdir(exist_ok=True)
    (project.models_dir / "sql" / "kobo.yml").write_text(
        dump_yaml({"version": 2, "sources": [{"name": "raw_kobo", "tables": [{"name": "households"}]}]})
    )
    assert prune_sources_yml(project) == ["raw_kobo.households"]
    change = sync_sources_yml(project, [("raw_kobo", "households", ["id"]), ("raw_kobo", "members", ["id"])])
    assert change.added == [] and change.removed == []
    assert _sources(project) == {"raw_kobo": {"members": ["id"]}}
