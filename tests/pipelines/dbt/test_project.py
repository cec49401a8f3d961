"""The org's dbt project on disk: template copy, profiles per warehouse, model files (no dbt run needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.dbt.errors import InvalidModelName, ModelExists, ModelNotFound
from pipelines.dbt.profiles import (
    BQ_PRIVATE_KEY_ENV,
    PG_PASSWORD_ENV,
    BigQueryTarget,
    DuckDBTarget,
    PostgresTarget,
    target_from_config,
)
from pipelines.dbt.project import OrgDbtProject
from pipelines.dbt.yamlio import load_yaml, load_yaml_file
from pipelines.errors import ConfigError
from tests.pipelines.dbt.conftest import TEMPLATE


@pytest.fixture
def project(tmp_path: Path) -> OrgDbtProject:
    project = OrgDbtProject(tmp_path / "orgs" / "acme" / "dbt")
    project.ensure(TEMPLATE, DuckDBTarget(tmp_path / "warehouse.duckdb", tmp_path / "ext"))
    return project


def test_ensure_copies_the_template_and_writes_a_duckdb_profile(project: OrgDbtProject, tmp_path: Path) -> None:
    for rel in ("dbt_project.yml", "macros/generate_schema_name.sql", "macros/dalgo/pivot.sql", "README.md"):
        assert (project.path / rel).is_file(), rel
    assert (project.models_dir / "recipes").is_dir() and (project.models_dir / "sql").is_dir()
    assert not (project.path / "samples").exists()
    assert not (project.path / "packages.yml").exists()
    assert project.project_name() == "dalgo_org"
    output = load_yaml_file(project.profiles_file)["dalgo"]["outputs"]["dalgo"]
    assert output["type"] == "duckdb"
    assert output["path"] == str((tmp_path / "warehouse.duckdb").resolve())
    assert output["schema"] == "analytics"
    assert 1 <= output["threads"] <= 2
    # The runner opens the file confined and locked before dbt does: any SET from the profile would fail.
    assert "extensions" not in output and "config_options" not in output and "settings" not in output


def test_ensure_never_overwrites_user_edits_but_refreshes_untouched_template_files(
    project: OrgDbtProject, tmp_path: Path
) -> None:
    new_template = tmp_path / "template-v2"
    shutil.copytree(TEMPLATE, new_template)
    (new_template / "macros" / "dalgo" / "pivot.sql").write_text("-- pivot v2\n")
    (new_template / "macros" / "generate_schema_name.sql").write_text("-- schema v2\n")
    (new_template / "macros" / "dalgo" / "brand_new.sql").write_text("-- new macro\n")
    (project.path / "macros" / "generate_schema_name.sql").write_text("-- my own schema naming\n")
    (project.models_dir / "sql" / "mine.sql").write_text("select 1 as x\n")

    project.ensure(new_template, DuckDBTarget(tmp_path / "warehouse.duckdb", tmp_path / "ext"))

    assert (project.path / "macros" / "generate_schema_name.sql").read_text() == "-- my own schema naming\n"
    assert (project.path / "macros" / "dalgo" / "pivot.sql").read_text() == "-- pivot v2\n"
    assert (project.path / "macros" / "dalgo" / "brand_new.sql").read_text() == "-- new macro\n"
    assert (project.models_dir / "sql" / "mine.sql").read_text() == "select 1 as x\n"


def test_profiles_are_rewritten_only_when_the_warehouse_changes(project: OrgDbtProject, tmp_path: Path) -> None:
    before = project.profiles_file.stat().st_mtime_ns
    project.write_profiles(DuckDBTarget(tmp_path / "warehouse.duckdb", tmp_path / "ext"))
    assert project.profiles_file.stat().st_mtime_ns == before
    project.write_profiles(DuckDBTarget(tmp_path / "warehouse.duckdb", tmp_path / "ext", schema="reporting"))
    assert load_yaml_file(project.profiles_file)["dalgo"]["outputs"]["dalgo"]["schema"] == "reporting"


def test_postgres_profile_keeps_the_password_out_of_the_file(project: OrgDbtProject) -> None:
    target = target_from_config(
        "postgres", {"dsn": "postgresql://field:s3cret!@db.example.org:6543/ngo?sslmode=require"}
    )
    assert isinstance(target, PostgresTarget)
    project.write_profiles(target)
    text = project.profiles_file.read_text()
    assert "s3cret" not in text and "s3cret" not in repr(target)
    output = load_yaml(text)["dalgo"]["outputs"]["dalgo"]
    assert output == {
        "type": "postgres",
        "host": "db.example.org",
        "port": 6543,
        "user": "field",
        "password": "{{ env_var('" + PG_PASSWORD_ENV + "', '') }}",
        "dbname": "ngo",
        "schema": "analytics",
        "sslmode": "require",
        "threads": 4,
    }
    assert target.secret_env() == {PG_PASSWORD_ENV: "s3cret!"}


def test_bigquery_profiles_for_service_account_and_oauth(project: OrgDbtProject) -> None:
    key = {"type": "service_account", "project_id": "ngo-data", "client_email": "dbt@ngo.iam", "private_key": "PEM"}
    target = target_from_config("bigquery", {"project": "ngo-data", "credentials_json": key, "location": "EU"})
    project.write_profiles(target)
    output = load_yaml_file(project.profiles_file)["dalgo"]["outputs"]["dalgo"]
    assert output["method"] == "service-account-json" and output["project"] == "ngo-data"
    assert output["dataset"] == "analytics" and output["location"] == "EU"
    assert output["keyfile_json"]["client_email"] == "dbt@ngo.iam"
    assert "PEM" not in project.profiles_file.read_text()
    assert target.secret_env() == {BQ_PRIVATE_KEY_ENV: "PEM"}
    oauth = BigQueryTarget(project="ngo-data", method="oauth")
    assert "keyfile_json" not in oauth.profile_output()
    with pytest.raises(ConfigError, match="JSON key"):
        BigQueryTarget(project="ngo-data").profile_output()


def test_write_read_list_and_delete_models(project: OrgDbtProject) -> None:
    schema = {"description": "Visits per district", "columns": [{"name": "district", "data_tests": ["not_null"]}]}
    path = project.write_model("district_visits", "select 1 as district", schema)
    project.write_sql_model("my_report", "select * from {{ ref('district_visits') }}")
    assert path == project.models_dir / "recipes" / "district_visits.sql"
    assert [(m.name, m.folder) for m in project.list_models()] == [("district_visits", "recipes"), ("my_report", "sql")]
    model = project.read_model("district_visits")
    assert model.sql.strip() == "select 1 as district"
    assert model.schema_yml == {"name": "district_visits", **schema}
    assert project.read_model("my_report").schema_yml is None

    project.write_model("district_visits", "select 2 as district", schema, replace=True)
    assert project.read_model("district_visits").sql.strip() == "select 2 as district"
    project.delete_model("district_visits")
    assert not (project.models_dir / "recipes" / "district_visits.yml").exists()
    assert [m.name for m in project.list_models()] == ["my_report"]
    with pytest.raises(ModelNotFound):
        project.read_model("district_visits")


def test_model_name_collisions_are_refused(project: OrgDbtProject) -> None:
    project.write_sql_model("visits", "select 1 as x")
    with pytest.raises(ModelExists, match=r"'visits' already exists \(models/sql/visits.sql\)") as err:
        project.write_model("visits", "select 2 as x", {"columns": []})
    assert err.value.hint
    with pytest.raises(ModelExists):
        project.write_sql_model("visits", "select 3 as x")  # same file, but replace was not asked
    (project.path / "seeds" / "districts.csv").write_text("a\n1\n")
    with pytest.raises(ModelExists, match=r"seeds/districts\.csv"):
        project.write_model("districts", "select 1 as a")
    assert project.read_model("visits").sql.strip() == "select 1 as x"


@pytest.mark.parametrize("name", ["Visits", "1st_round", "visits-2024", 'x"; DROP TABLE y; --', "", "a" * 64, "../up"])
def test_unsafe_model_names_are_refused_with_a_suggestion(project: OrgDbtProject, name: str) -> None:
    with pytest.raises(InvalidModelName) as err:
        project.write_model(name, "select 1 as x")
    assert err.value.hint and err.value.hint.startswith("Try '")
    assert project.list_models() == []


def test_schema_yml_must_describe_the_model_itself(project: OrgDbtProject) -> None:
    with pytest.raises(InvalidModelName, match="describes"):
        project.write_model("visits", "select 1 as x", {"version": 2, "models": [{"name": "other"}]})
    assert project.list_models() == []


def test_eject_moves_a_recipe_model_to_sql(project: OrgDbtProject) -> None:
    project.write_model("clean_visits", "select 1 as x", {"description": "from a recipe"})
    moved = project.eject_model("clean_visits")
    assert moved == project.models_dir / "sql" / "clean_visits.sql"
    assert not (project.models_dir / "recipes" / "clean_visits.sql").exists()
    assert project.read_model("clean_visits").schema_yml == {"name": "clean_visits", "description": "from a recipe"}


def test_rewriting_a_sql_model_keeps_the_yml_the_user_wrote_for_it(project: OrgDbtProject) -> None:
    project.write_sql_model("my_report", "select 1 as x")
    yml = project.models_dir / "sql" / "my_report.yml"
    yml.write_text("version: 2\nmodels:\n  - name: my_report\n    description: Monthly report\n")
    project.write_sql_model("my_report", "select 2 as x", replace=True)
    assert project.read_model("my_report").schema_yml == {"name": "my_report", "description": "Monthly report"}
