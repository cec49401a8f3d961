"""Importing an existing dbt project (a folder or a local git repository) into an org's project."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipelines.dbt.errors import ImportRefused
from pipelines.dbt.importer import import_dbt_project
from pipelines.dbt.profiles import DuckDBTarget
from pipelines.dbt.project import OrgDbtProject, file_hash
from pipelines.dbt.sources import raw_tables_from_duckdb, sync_sources_yml
from pipelines.dbt.yamlio import dump_yaml, load_yaml_file
from tests.conftest import EXTENSION_DIR
from tests.pipelines.dbt.conftest import TEMPLATE, make_duck_org

PROJECT_YML = {
    "name": "field_survey",
    "version": "1.0.0",
    "config-version": 2,
    "profile": "field",
    "model-paths": ["transform"],
    "require-dbt-version": ">=1.5.0",
    "vars": {"min_visits": 4, "field_survey": {"region": "south"}},
    "models": {
        "field_survey": {
            "staging": {"+materialized": "view"},
            "marts": {"+materialized": "table", "+schema": "reporting"},
        }
    },
    "on-run-end": ["select 1 as done"],
}
FILES = {
    "transform/staging/sources.yml": dump_yaml(
        {
            "version": 2,
            "sources": [
                {"name": "field_raw", "schema": "raw_survey", "tables": [{"name": "visits"}]},
                # The same raw table Dalgo's own sources.yml declares: dbt refuses a table declared twice.
                {"name": "raw_survey", "tables": [{"name": "visits", "description": "Field visits"}]},
            ],
        }
    ),
    "transform/staging/stg_visits.sql": "select district, visits from {{ source('field_raw', 'visits') }}\n",
    "transform/marts/district_visits.sql": (
        "select district, {{ fake_utils.double('sum(visits)') }} as doubled, '{{ var(\"region\") }}' as region\n"
        "from {{ ref('stg_visits') }} where visits >= {{ var('min_visits') }} group by district\n"
    ),
    "transform/marts/schema.yml": dump_yaml(
        {
            "version": 2,
            "models": [{"name": "district_visits", "columns": [{"name": "district", "data_tests": ["not_null"]}]}],
        }
    ),
    "macros/generate_schema_name.sql": "{% macro generate_schema_name(custom, node) %}their_{{ custom }}{% endmacro %}\n",
    "macros/helpers.sql": "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n",
    "seeds/regions.csv": "region,name\nsouth,South\n",
    "tests/assert_doubled_positive.sql": "select * from {{ ref('district_visits') }} where doubled < 0\n",
    "profiles.yml": "field: {target: dev, outputs: {dev: {type: duckdb, path: /elsewhere.duckdb}}}\n",
    "packages.yml": dump_yaml({"packages": [{"package": "acme/fake_utils", "version": "1.0.0"}]}),
    ".gitignore": "dbt_packages/\ntarget/\n",
    # Installed by `dbt deps` on a connected machine; git-ignored, so only the working tree has it.
    "dbt_packages/fake_utils/dbt_project.yml": "name: fake_utils\nversion: '1.0.0'\nconfig-version: 2\n",
    "dbt_packages/fake_utils/macros/double.sql": "{% macro double(x) %}(({{ x }}) * 2){% endmacro %}\n",
}


def make_project(root: Path, files: dict[str, str] | None = None, project_yml: dict | None = None) -> Path:
    root.mkdir(parents=True)
    (root / "dbt_project.yml").write_text(dump_yaml(project_yml or PROJECT_YML))
    for rel, text in (FILES if files is None else files).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def git_commit_all(root: Path) -> None:
    git = ["git", "-C", str(root), "-c", "user.name=Field Office", "-c", "user.email=field@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "field survey models"]):
        subprocess.run(git + args, check=True, capture_output=True)


@pytest.fixture
def org_project(tmp_path: Path) -> OrgDbtProject:
    project = OrgDbtProject(tmp_path / "org" / "dbt")
    project.ensure(TEMPLATE, DuckDBTarget(tmp_path / "org" / "w.duckdb", EXTENSION_DIR))
    return project


def test_imported_git_project_runs_with_the_org_runner(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "field_survey")
    git_commit_all(repo)
    (repo / "transform" / "staging" / "uncommitted.sql").write_text("select 1 as draft\n")
    org = make_duck_org(tmp_path / "org")
    org.con.execute("CREATE TABLE raw_survey.members (id INTEGER)")
    sync_sources_yml(org.project, raw_tables_from_duckdb(org.con))
    org.project.write_model("org_recipe", "select count(*) as n from {{ source('raw_survey', 'visits') }}")

    report = import_dbt_project(repo, org.project)

    assert (report.project_name, report.models, report.packages) == (
        "field_survey", ["district_visits", "stg_visits"], ["fake_utils"]
    )  # fmt: skip
    assert any("generate_schema_name" in note for note in report.notes)
    assert any("raw_survey.visits is now declared by the imported project" in note for note in report.notes)
    path = org.project.path
    for rel in ("models/field_survey/staging/stg_visits.sql", "macros/field_survey/helpers.sql",
                "seeds/field_survey/regions.csv", "tests/field_survey/assert_doubled_positive.sql",
                "dbt_packages/fake_utils/macros/double.sql"):  # fmt: skip
        assert (path / rel).is_file(), rel
    assert not (path / "macros/field_survey/generate_schema_name.sql").exists()
    assert not (path / "models/field_survey/staging/uncommitted.sql").exists()  # committed files only
    assert not (path / "packages.yml").exists()  # so dbt never asks for `dbt deps`
    assert "/elsewhere.duckdb" not in (path / "profiles.yml").read_text()
    merged = load_yaml_file(path / "dbt_project.yml")
    assert merged["name"] == "field_survey" and merged["profile"] == "dalgo"
    assert merged["models"]["field_survey"]["+materialized"] == "table"
    assert merged["models"]["field_survey"]["field_survey"]["staging"] == {"+materialized": "view"}
    assert merged["vars"] == {"min_visits": 4, "field_survey": {"region": "south"}}
    assert merged["on-run-end"] == ["select 1 as done"]

    result = org.runner.build()

    assert result.success, result.error or [(n.name, n.message) for n in result.nodes if n.status != "success"]
    statuses = {n.name: (n.resource_type, n.status) for n in result.nodes}
    assert statuses["assert_doubled_positive"] == ("test", "pass") and statuses["regions"] == ("seed", "success")
    assert result.node("stg_visits").materialized == "view"
    assert org.query("select district, doubled, region from reporting.district_visits order by 1") == [
        ("Bengaluru", 28, "south"),
        ("Mysuru", 24, "south"),
    ]
    assert org.query("select n from analytics.org_recipe") == [(5,)]
    assert result.node("org_recipe").unique_id == "model.field_survey.org_recipe"
    sync_sources_yml(org.project, raw_tables_from_duckdb(org.con))  # the next sync does not declare it again
    managed = load_yaml_file(org.project.models_dir / "sources.yml")["sources"]
    assert [(s["name"], [t["name"] for t in s["tables"]]) for s in managed] == [("raw_survey", ["members"])]
    assert org.runner.run(["org_recipe"]).success
    org.con.close()


def test_missing_packages_are_listed_and_nothing_is_written(tmp_path: Path, org_project: OrgDbtProject) -> None:
    files = {k: v for k, v in FILES.items() if not k.startswith("dbt_packages/")}
    files["packages.yml"] = dump_yaml(
        {"packages": [{"package": "dbt-labs/dbt_utils", "version": "1.3.0"},
                      {"git": "https://github.com/calogica/dbt-expectations.git", "revision": "0.10.4"}]}
    )  # fmt: skip
    source = make_project(tmp_path / "field_survey", files)
    before = file_hash(org_project.project_file)

    with pytest.raises(ImportRefused) as err:
        import_dbt_project(source, org_project)

    assert "dbt-labs/dbt_utils" in err.value.message and "dbt-expectations" in err.value.message
    assert err.value.hint and "dbt_packages" in err.value.hint
    assert file_hash(org_project.project_file) == before
    assert not (org_project.models_dir / "field_survey").exists()
    assert not (org_project.path / "dbt_packages").exists()


def test_model_name_clash_is_refused_before_copying(tmp_path: Path, org_project: OrgDbtProject) -> None:
    source = make_project(tmp_path / "field_survey")
    org_project.write_sql_model("stg_visits", "select 1 as x")
    with pytest.raises(ImportRefused, match="stg_visits"):
        import_dbt_project(source, org_project)
    assert [m.name for m in org_project.list_models()] == ["stg_visits"]
    assert not (org_project.path / "macros" / "field_survey").exists()


def test_second_import_keeps_the_org_name_and_refuses_a_repeat(tmp_path: Path, org_project: OrgDbtProject) -> None:
    import_dbt_project(make_project(tmp_path / "one"), org_project)
    other = dict(PROJECT_YML, name="second_office", models={"second_office": {"+materialized": "view"}})
    files = {"transform/summary.sql": "select 1 as x\n"}

    report = import_dbt_project(make_project(tmp_path / "two", files, other), org_project)

    merged = load_yaml_file(org_project.project_file)
    assert merged["name"] == "field_survey"
    assert merged["models"]["field_survey"]["second_office"] == {"+materialized": "view"}
    assert any("keeps its name 'field_survey'" in note for note in report.notes)
    with pytest.raises(ImportRefused, match="already imported"):
        import_dbt_project(make_project(tmp_path / "three", files, other), org_project)


@pytest.mark.parametrize(
    "source, message",
    [
        ("https://github.com/dbt-labs/jaffle_shop.git", "remote address"),
        ("git@github.com:dbt-labs/jaffle_shop.git", "remote address"),
        ("/no/such/folder", "is not a folder"),
    ],
)
def test_sources_that_need_the_network_or_do_not_exist_are_refused(
    org_project: OrgDbtProject, source: str, message: str
) -> None:
    with pytest.raises(ImportRefused, match=message) as err:
        import_dbt_project(source, org_project)
    assert err.value.hint


def test_a_folder_without_a_dbt_project_is_refused(tmp_path: Path, org_project: OrgDbtProject) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    with pytest.raises(ImportRefused, match=r"No dbt_project\.yml"):
        import_dbt_project(tmp_path / "notes", org_project)
