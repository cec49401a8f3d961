"""Metric library: checked on the warehouse, refused without running anything, delete refused while used."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.warehouse.duckdb import DuckDBWarehouse
from tests.server.factories import Actor, Api
from tests.server.test_charts_api import TABLE, chart, make_table


@pytest.fixture
def root(api: Api) -> Actor:
    actor = api.setup()
    make_table(api, actor.org_slug or "")
    return actor


def metric(api: Api, actor: Actor, **body: Any) -> Any:
    return api.client.post("/api/v1/metrics", json={"name": "Paid", "input": TABLE, **body}, headers=actor.headers())


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the DuckDB warehouse client runs (the real client, recorded)."""
    statements: list[str] = []
    original = DuckDBWarehouse._fetch

    def recording(self: DuckDBWarehouse, sql: str, params: Any) -> Any:
        statements.append(sql)
        return original(self, sql, params)

    monkeypatch.setattr(DuckDBWarehouse, "_fetch", recording)
    return statements


def test_an_aggregate_and_a_calculated_metric_are_checked_then_drawn(api: Api, root: Actor, ran: list[str]) -> None:
    total = metric(api, root, agg="sum", column="amount")
    assert total.status_code == 201, total.text
    share = metric(api, root, name="Average paid per visit", agg=None, expression="SUM(amount) / COUNT(*)")
    assert share.status_code == 201, share.text
    assert any(s.endswith("LIMIT 0") and 'SUM("amount") / COUNT(*)' in s for s in ran)
    made = chart(api, root, dimensions=["district"], metrics=[{"metric_id": share.json()["id"]}])
    data = api.client.get(f"/api/v1/charts/{made['id']}/data", headers=root.headers()).json()
    assert data["columns"][1]["name"] == "Average paid per visit" and len(data["rows"]) == 6
    used = api.client.get(f"/api/v1/metrics/{share.json()['id']}", headers=root.headers()).json()["used_by"]
    assert used == [{"kind": "chart", "id": made["id"], "name": "Households by district"}]


@pytest.mark.parametrize(
    "expression",
    [
        "SELECT 1",
        "SUM(amount); DROP TABLE raw_visits.households",
        "amount + 1",
        "SUM(amount) FROM raw_visits.households",
        "(SELECT COUNT(*) FROM raw_beta.households)",
        "SUM(raw_beta.households.amount)",
        "COUNT(read_text('/etc/passwd'))",
        "MAX(current_setting('allowed_directories'))",
        "MAX(getenv('HOME'))",
        "COUNT(*) + (SELECT COUNT(*) FROM read_csv('/etc/passwd'))",
    ],
)
def test_a_metric_that_is_not_a_safe_expression_is_refused_and_nothing_runs(
    api: Api, root: Actor, ran: list[str], expression: str
) -> None:
    r = metric(api, root, agg=None, expression=expression)
    assert r.status_code == 400, r.text
    assert not [s for s in ran if "LIMIT 0" in s], ran
    con = api.client.app.state.storage.duckdb(root.org_slug).cursor()  # type: ignore[attr-defined]
    assert con.execute("SELECT COUNT(*) FROM raw_visits.households").fetchone() == (3000,)
    assert api.client.get("/api/v1/metrics", headers=root.headers()).json()["total"] == 0


def test_a_hostile_org_cannot_read_another_orgs_table_through_a_metric_or_chart(api: Api, root: Actor) -> None:
    beta = api.create_org(root, "Beta Office")
    con = api.client.app.state.storage.duckdb(beta).cursor()  # type: ignore[attr-defined]
    con.execute("CREATE SCHEMA raw_beta; CREATE TABLE raw_beta.secrets AS SELECT 'beta-secret' AS s, 1 AS n")
    r = metric(api, root, input={"schema": "raw_beta", "table": "secrets"}, agg="count")
    assert r.status_code == 400 and "raw_beta.secrets" in r.json()["detail"]
    r = api.client.post(
        "/api/v1/charts/preview",
        json={"spec": {"chart_type": "table", "input": {"schema": "raw_beta", "table": "secrets"}}},
        headers=root.headers(),
    )
    assert r.status_code == 400 and "beta-secret" not in r.text


def test_a_metric_in_use_cannot_be_deleted_and_says_by_what(api: Api, root: Actor) -> None:
    made_metric = metric(api, root, agg="sum", column="amount").json()
    made = chart(
        api, root, name="Paid by district", dimensions=["district"], metrics=[{"metric_id": made_metric["id"]}]
    )
    r = api.client.delete(f"/api/v1/metrics/{made_metric['id']}", headers=root.headers())
    assert r.status_code == 409 and "Paid by district" in r.json()["detail"]
    assert api.client.delete(f"/api/v1/charts/{made['id']}", headers=root.headers()).status_code == 204
    assert api.client.delete(f"/api/v1/metrics/{made_metric['id']}", headers=root.headers()).status_code == 204


def test_a_sum_over_text_is_refused_when_the_metric_is_saved(api: Api, root: Actor) -> None:
    r = metric(api, root, agg="sum", column="village")
    assert r.status_code == 400 and "village" in r.json()["detail"]
