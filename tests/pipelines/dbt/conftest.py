"""One DuckDB warehouse + org dbt project + runner for the whole session (dbt's import and parse are slow).

The warehouse file stays open through `pipelines.duckdb_conn.connect` the whole time, as the server holds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.dbt.profiles import DuckDBTarget
from pipelines.dbt.project import OrgDbtProject
from pipelines.dbt.runner import DbtRunner
from pipelines.dbt.sources import raw_tables_from_duckdb, sync_sources_yml
from pipelines.duckdb_conn import connect
from tests.conftest import EXTENSION_DIR

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = REPO / "bundled_dbt"
HOSTILE = 'x"; DROP TABLE y; --'


@dataclass
class DuckOrg:
    """A temp org: its warehouse file, the app's open connection, its dbt project and runner."""

    root: Path
    warehouse: Path
    con: duckdb.DuckDBPyConnection
    target: DuckDBTarget
    project: OrgDbtProject
    runner: DbtRunner

    def query(self, sql: str) -> list[tuple]:
        """Read through the app's connection (the one that stayed open during dbt runs)."""
        return self.con.execute(sql).fetchall()


def make_duck_org(root: Path) -> DuckOrg:
    """A warehouse with a `raw_survey.visits` table, a project from the template, sources synced, a runner."""
    root.mkdir(parents=True, exist_ok=True)
    warehouse = root / "warehouse.duckdb"
    con = connect(warehouse, extension_dir=EXTENSION_DIR)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw_survey")
    con.execute(
        f"""CREATE OR REPLACE TABLE raw_survey.visits AS SELECT * FROM (VALUES
            ('Bengaluru', 'jan', 10, 2, 'a'), ('Bengaluru', 'feb', 4, 0, 'b'), ('Mysuru', 'jan', 5, 5, NULL),
            ('Mysuru', NULL, 7, 1, 'c'), ('Pune', 'feb', 3, NULL, 'd'))
            AS t(district, month, visits, staff, "{HOSTILE.replace('"', '""')}")"""
    )
    target = DuckDBTarget(warehouse, EXTENSION_DIR)
    project = OrgDbtProject(root / "dbt")
    project.ensure(TEMPLATE, target)
    sync_sources_yml(project, raw_tables_from_duckdb(con))
    return DuckOrg(root, warehouse, con, target, project, DbtRunner(project.path, target))


@pytest.fixture(scope="session")
def duck_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckOrg]:
    """The shared org; tests add their own models (unique names) and select them."""
    org = make_duck_org(tmp_path_factory.mktemp("dbt-org"))
    try:
        yield org
    finally:
        org.con.close()
