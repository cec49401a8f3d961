"""Charts API end to end: save, list, image, data, cache invalidation, drill, bad input (each a test)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.factories import Actor, Api

TABLE = {"schema": "raw_visits", "table": "households"}


def make_table(api: Api, slug: str, sql: str = "") -> None:
    con = api.client.app.state.storage.duckdb(slug).cursor()  # type: ignore[attr-defined]
    con.execute("CREATE SCHEMA IF NOT EXISTS raw_visits")
    con.execute(
        sql
        or "CREATE OR REPLACE TABLE raw_visits.households AS SELECT i AS id,"
        " ['Hillview','Riverside','Lakeshore','Greenfield','Stonebridge','Sunpur'][i % 6 + 1] AS district,"
        " i * 1000.0 AS amount, DATE '2024-01-01' + (i % 90)::INT AS visit_date, 'village ' || (i % 500) AS village"
        " FROM range(3000) r(i)"
    )


@pytest.fixture
def root(api: Api) -> Actor:
    actor = api.setup()
    make_table(api, actor.org_slug or "")
    return actor


def chart(api: Api, actor: Actor, **spec: Any) -> dict[str, Any]:
    body = {"name": "Households by district", "chart_type": "bar", "input": TABLE, **spec}
    r = api.client.post("/api/v1/charts", json=body, headers=actor.headers())
    assert r.status_code == 201, r.text
    return dict(r.json())


def preview(api: Api, actor: Actor, **spec: Any) -> Any:
    body = {"spec": {"chart_type": "bar", "input": TABLE, **spec}}
    return api.client.post("/api/v1/charts/preview", json=body, headers=actor.headers())


def test_the_contract_body_saves_a_chart_that_lists_draws_and_gives_its_data(api: Api, root: Actor) -> None:
    made = chart(api, root, dimensions=["district"], metrics=[{"agg": "sum", "column": "amount"}])
    listed = api.client.get("/api/v1/charts", params={"search": "district"}, headers=root.headers()).json()
    assert [c["id"] for c in listed["items"]] == [made["id"]] and listed["items"][0]["used_in_dashboards"] == []
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")):
        r = api.client.get(f"/api/v1/charts/{made['id']}/image", params={"format": fmt}, headers=root.headers())
        assert r.status_code == 200 and r.content.startswith(magic), r.text[:200]
    data = api.client.get(f"/api/v1/charts/{made['id']}/data", headers=root.headers()).json()
    assert len(data["rows"]) == 6 and sum(row[1] for row in data["rows"]) == sum(i * 1000 for i in range(3000))
    assert '"district"' in data["sql"] and data["cached"] is True  # the images ran the query already
    csv = api.client.get(f"/api/v1/charts/{made['id']}/data", params={"format": "csv"}, headers=root.headers())
    assert csv.text.lstrip("\ufeff").startswith("district,Total amount")


def test_members_view_charts_but_cannot_make_them(api: Api, root: Actor) -> None:
    made = chart(api, root, dimensions=["district"])
    member = api.add_member(root, "viewer@example.org", "member")
    assert api.client.get(f"/api/v1/charts/{made['id']}/image", headers=member.headers()).status_code == 200
    r = api.client.post(
        "/api/v1/charts",
        json={"name": "x", "chart_type": "bar", "input": TABLE, "dimensions": ["district"]},
        headers=member.headers(),
    )
    assert r.status_code == 403


def test_save_duplicate_sort_and_delete(api: Api, root: Actor) -> None:
    first = chart(api, root, dimensions=["district"])
    copy = api.client.post(f"/api/v1/charts/{first['id']}/duplicate", json={}, headers=root.headers()).json()
    assert copy["name"] == "Households by district (copy)" and copy["spec"] == first["spec"]
    names = [
        c["name"]
        for c in api.client.get("/api/v1/charts", params={"sort": "-name"}, headers=root.headers()).json()["items"]
    ]
    assert names == ["Households by district (copy)", "Households by district"]
    assert api.client.delete(f"/api/v1/charts/{copy['id']}", headers=root.headers()).status_code == 204
    assert api.client.get(f"/api/v1/charts/{copy['id']}", headers=root.headers()).status_code == 404


def test_a_chart_whose_table_was_dropped_names_it_and_the_list_still_opens(api: Api, root: Actor) -> None:
    made = chart(api, root, dimensions=["district"])
    renamed = chart(api, root, dimensions=["village"])
    api.client.app.state.storage.duckdb(root.org_slug).cursor().execute(  # type: ignore[attr-defined]
        "ALTER TABLE raw_visits.households RENAME COLUMN village TO hamlet"
    )
    listed = {c["id"]: c for c in api.client.get("/api/v1/charts", headers=root.headers()).json()["items"]}
    assert listed[made["id"]]["problem"] is None and "village" in listed[renamed["id"]]["problem"]
    r = api.client.get(f"/api/v1/charts/{renamed['id']}/data", headers=root.headers())
    assert r.status_code == 400 and "village" in r.json()["detail"]
    api.client.app.state.storage.duckdb(root.org_slug).cursor().execute("DROP TABLE raw_visits.households")  # type: ignore[attr-defined]
    listed = api.client.get("/api/v1/charts", headers=root.headers())
    assert listed.status_code == 200
    assert all("raw_visits.households" in c["problem"] for c in listed.json()["items"])
    r = api.client.get(f"/api/v1/charts/{made['id']}/image", headers=root.headers())
    assert r.status_code == 400 and "raw_visits.households" in r.json()["detail"]


def test_a_sum_over_a_text_column_is_a_clear_400(api: Api, root: Actor) -> None:
    r = preview(api, root, dimensions=["district"], metrics=[{"agg": "sum", "column": "village"}])
    assert r.status_code == 400 and "village" in r.json()["detail"] and "not numbers" in r.json()["detail"]


def test_a_filter_value_of_the_wrong_type_is_a_clear_400(api: Api, root: Actor) -> None:
    r = preview(api, root, dimensions=["district"], filters=[{"column": "amount", "op": "gt", "value": "lots"}])
    assert r.status_code == 400 and "'amount' needs a number" in r.json()["detail"]
    r = preview(api, root, dimensions=["district"], filters=[{"column": "visit_date", "op": "ge", "value": "soon"}])
    assert r.status_code == 400 and "date" in r.json()["detail"]


def test_a_pie_of_500_slices_draws_the_largest_and_other(api: Api, root: Actor) -> None:
    r = preview(api, root, chart_type="pie", dimensions=["village"])
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]["rows"]) == 500 and r.json()["media_type"] == "image/png"


def test_zero_rows_draw_a_no_data_picture(api: Api, root: Actor) -> None:
    made = chart(api, root, dimensions=["district"], filters=[{"column": "amount", "op": "lt", "value": -1}])
    r = api.client.get(f"/api/v1/charts/{made['id']}/image", headers=root.headers())
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert api.client.get(f"/api/v1/charts/{made['id']}/data", headers=root.headers()).json()["rows"] == []


def _finished_sync(api: Api, slug: str, source_slug: str) -> None:
    """A sync of `source_slug` that finished now (made directly: a real sync needs a reachable source)."""
    from sqlalchemy import select

    from server.core.db import session_scope
    from server.models import Job, Org, Source
    from server.models.base import utcnow

    with session_scope(api.client.app.state.session_factory) as session:  # type: ignore[attr-defined]
        org = session.scalars(select(Org).where(Org.slug == slug)).one()
        source = session.scalars(select(Source).where(Source.org_id == org.id, Source.slug == source_slug)).first()
        if source is None:
            source = Source(org_id=org.id, name=source_slug, slug=source_slug, type="csv", config={})
            session.add(source)
            session.flush()
        session.add(
            Job(
                org_id=org.id,
                kind="source_sync",
                target_id=source.id,
                status="succeeded",
                finished_at=utcnow(),
                result={},
            )
        )


def test_a_sync_invalidates_exactly_the_charts_reading_its_tables(api: Api, root: Actor) -> None:
    make_table(
        api,
        root.org_slug or "",
        "CREATE SCHEMA raw_stock; CREATE TABLE raw_stock.items AS SELECT 'rice' AS item, 5 AS qty",
    )
    visits = chart(api, root, dimensions=["district"])
    stock = chart(api, root, input={"schema": "raw_stock", "table": "items"}, dimensions=["item"])
    for source in ("visits", "stock"):
        _finished_sync(api, root.org_slug or "", source)

    def cached(made: dict[str, Any]) -> bool:
        return bool(api.client.get(f"/api/v1/charts/{made['id']}/data", headers=root.headers()).json()["cached"])

    assert (cached(visits), cached(stock)) == (False, False)
    assert (cached(visits), cached(stock)) == (True, True)
    _finished_sync(api, root.org_slug or "", "visits")
    assert (cached(visits), cached(stock)) == (False, True)
    assert cached(visits) is True


def test_drill_into_a_month_to_its_weeks_and_to_its_rows(api: Api, root: Actor) -> None:
    made = chart(api, root, chart_type="line", dimensions=["visit_date"], time_grain="month")
    weeks = api.client.post(
        f"/api/v1/charts/{made['id']}/drill", json={"value": "2024-02-01", "to": "grain"}, headers=root.headers()
    ).json()
    assert weeks["spec"]["time_grain"] == "week"
    assert sum(r[1] for r in weeks["data"]["rows"]) == sum(1 for i in range(3000) if 31 <= i % 90 < 60)
    rows = api.client.post(
        f"/api/v1/charts/{made['id']}/drill", json={"value": "2024-02-01", "limit": 5}, headers=root.headers()
    ).json()
    assert rows["data"]["total"] == sum(1 for i in range(3000) if 31 <= i % 90 < 60) and len(rows["data"]["rows"]) == 5
    assert "LIMIT 5" in rows["data"]["sql"]


def test_a_table_chart_comes_in_pages(api: Api, root: Actor) -> None:
    made = chart(api, root, chart_type="table", dimensions=["id", "district"], sort=[{"by": "id"}])
    page = api.client.get(
        f"/api/v1/charts/{made['id']}/data", params={"limit": 10, "offset": 20}, headers=root.headers()
    ).json()
    assert [r[0] for r in page["rows"]] == list(range(20, 30)) and page["total"] == 3000
    assert "LIMIT 10 OFFSET 20" in page["sql"]
    xlsx = api.client.get(
        f"/api/v1/charts/{made['id']}/data", params={"format": "xlsx", "limit": 10}, headers=root.headers()
    )
    assert xlsx.content.startswith(b"PK")


def test_geojson_that_is_not_geojson_or_has_no_matching_key_is_a_clear_400(api: Api, root: Actor) -> None:
    r = api.client.post(
        "/api/v1/charts/geojson", files={"file": ("x.geojson", b"district,amount\n")}, headers=root.headers()
    )
    assert r.status_code == 400 and "not GeoJSON" in r.json()["detail"]
    listed = api.client.get("/api/v1/charts/geojson", headers=root.headers()).json()["items"]
    assert listed[0]["id"] == "sample" and "district" in listed[0]["properties"]
    spec = {"chart_type": "map", "dimensions": ["district"], "metrics": [{"agg": "sum", "column": "amount"}]}
    good = preview(api, root, **spec, map={"geojson_id": "sample", "key_property": "district"})
    assert good.status_code == 200, good.text
    wrong = preview(api, root, **spec, map={"geojson_id": "sample", "key_property": "code"})
    assert wrong.status_code == 400 and "match" in wrong.json()["detail"]
    missing = preview(api, root, **spec, map={"geojson_id": "sample", "key_property": "pincode"})
    assert missing.status_code == 400 and "pincode" in missing.json()["detail"]
