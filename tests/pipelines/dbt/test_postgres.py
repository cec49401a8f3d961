"""The same project and vendored macros with dbt-postgres against the real Postgres at 127.0.0.1:5432."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from pipelines.dbt.profiles import target_from_config
from pipelines.dbt.project import OrgDbtProject
from pipelines.dbt.runner import DbtRunner
from pipelines.dbt.sources import sync_sources_yml
from tests.pipelines.dbt.conftest import TEMPLATE
from tests.pipelines.dbt.macro_cases import HOSTILE, MODELS, VISITS, check_macro_results

pytestmark = pytest.mark.postgres


def _load_visits(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS raw_survey")
        cur.execute(
            sql.SQL(
                "CREATE TABLE raw_survey.visits (district text, month text, visits integer, staff integer, {} text)"
            ).format(sql.Identifier(HOSTILE))
        )
        cur.executemany("INSERT INTO raw_survey.visits VALUES (%s, %s, %s, %s, %s)", VISITS)
    conn.close()


def test_project_and_vendored_macros_run_on_postgres(pg_database: str, tmp_path: Path) -> None:
    _load_visits(pg_database)
    target = target_from_config("postgres", {"dsn": pg_database})
    project = OrgDbtProject(tmp_path / "dbt")
    project.ensure(TEMPLATE, target)
    sync_sources_yml(project, [("raw_survey", "visits", ["district", "month", "visits", "staff", HOSTILE])])
    for name, model_sql in MODELS.items():
        project.write_sql_model(name, model_sql)
    project.write_model("pg_totals", "select district, count(*) as n from {{ ref('mac_divide') }} group by 1")
    project.write_sql_model(
        "pg_bad", "select\n  district,\n  visits +* 2 as broken\nfrom {{ source('raw_survey', 'visits') }}"
    )

    result = DbtRunner(project.path, target).run()

    failed = [(n.name, n.status, n.file, n.line) for n in result.nodes if n.status != "success"]
    assert failed == [("pg_bad", "error", "models/sql/pg_bad.sql", 3)], result.error or result.nodes
    assert "+*" in (result.node("pg_bad").message or "")
    assert result.node("pg_totals").rows_affected == 3  # from Postgres' own row count
    assert result.node("pg_totals").relation == '"{}"."analytics"."pg_totals"'.format(pg_database.rsplit("/", 1)[1])
    with psycopg2.connect(pg_database) as conn:

        def rows_of(query: str) -> list[tuple[Any, ...]]:
            with conn.cursor() as cur:
                cur.execute(query)
                return [tuple(float(v) if type(v).__name__ == "Decimal" else v for v in r) for r in cur.fetchall()]

        def columns_of(table: str) -> list[str]:
            return [r[0] for r in rows_of(
                "select column_name from information_schema.columns where table_schema = 'analytics' "
                f"and table_name = '{table}' order by ordinal_position"
            )]  # fmt: skip

        check_macro_results(columns_of, rows_of)
        assert rows_of("select n from analytics.pg_totals where district = 'Mysuru'") == [(2,)]
    conn.close()
