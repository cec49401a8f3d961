"""Chart specs → one query per dialect, run for real on DuckDB, Postgres and the BigQuery emulator."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.charts.query import ChartColumnMissing, ChartQueryError
from pipelines.charts.run import ChartTableMissing, run_chart
from pipelines.charts.spec import ChartSpec
from pipelines.warehouse import WarehouseClient
from tests.pipelines.warehouse.conftest import HOSTILE, PEOPLE

People = tuple[WarehouseClient, str]


def spec(schema: str, **fields: Any) -> ChartSpec:
    return ChartSpec.model_validate({"input": {"schema": schema, "table": "people"}, **fields})


def run(people: People, **fields: Any) -> Any:
    client, schema = people
    return run_chart(client, spec(schema, **fields))  # type: ignore[arg-type]


def test_counts_and_sums_by_category_largest_first(people: People) -> None:
    result = run(
        people, chart_type="bar", dimensions=["city"], metrics=[{"agg": "count"}, {"agg": "sum", "column": "age"}]
    )
    assert result.rows[0] == ["Pune", 5, 34 + 29 + 37 + 60 + 27]
    assert {r[0] for r in result.rows} == {"Pune", "Delhi", "Goa", None}


def test_month_buckets_in_time_order(people: People) -> None:
    result = run(people, chart_type="line", dimensions=["joined"], time_grain="month")
    months = [(str(r[0])[:7], r[1]) for r in result.rows if r[0] is not None]
    assert months == [("2022-01", 2), ("2022-02", 2), ("2022-03", 3), ("2022-04", 2), ("2022-05", 1), ("2022-06", 1)]


def test_filter_values_are_bound_never_pasted(people: People) -> None:
    result = run(
        people,
        chart_type="bar",
        dimensions=["city"],
        filters=[{"column": "name", "op": "eq", "value": "O'Brien'; DROP TABLE people; --"}],
    )
    assert result.rows == [] and "DROP" not in result.sql
    hostile = run(people, chart_type="bar", dimensions=[HOSTILE], sort=[{"by": HOSTILE}])
    assert [r[0] for r in hostile.rows] == ["v0", "v1", "v2"]


def test_median_and_number_card_change_vs_previous_period(people: People) -> None:
    med = run(people, chart_type="number", metrics=[{"agg": "median", "column": "age"}])
    assert float(med.rows[0][0]) == pytest.approx(37.5, abs=0.5)  # BigQuery's median is approximate (37)
    card = run(people, chart_type="number", time_column="joined", time_grain="month", metrics=[{"agg": "count"}])
    assert str(card.rows[0][0])[:7] == "2022-06" and card.change == pytest.approx(0.0)


def test_histogram_bins_cover_every_value(people: People) -> None:
    result = run(people, chart_type="histogram", dimensions=["age"], bins=4)
    assert [round(r[0]) for r in result.rows] == [22, 32, 41, 50] and sum(r[2] for r in result.rows) == 12


def test_a_table_is_one_page_with_the_total(people: People) -> None:
    client, schema = people
    result = run_chart(
        client,
        spec(
            schema,
            chart_type="table",
            dimensions=["id", "name"],  # type: ignore[arg-type]
            sort=[{"by": "id"}],
        ),
        limit=3,
        offset=4,
    )
    assert [r[0] for r in result.rows] == [5, 6, 7] and result.total == len(PEOPLE)
    assert "LIMIT 3 OFFSET 4" in result.sql


def test_bad_specs_say_what_is_wrong(people: People) -> None:
    with pytest.raises(ChartQueryError, match="Cannot add up 'name'"):
        run(people, chart_type="bar", dimensions=["city"], metrics=[{"agg": "sum", "column": "name"}])
    with pytest.raises(ChartQueryError, match="'age' needs a whole number"):
        run(people, chart_type="bar", dimensions=["city"], filters=[{"column": "age", "op": "gt", "value": "old"}])
    with pytest.raises(ChartColumnMissing, match="'town'"):
        run(people, chart_type="bar", dimensions=["town"])
    client, schema = people
    with pytest.raises(ChartTableMissing, match=f"{schema}.nobody"):
        run_chart(
            client,
            ChartSpec.model_validate(  # type: ignore[arg-type]
                {"chart_type": "bar", "input": {"schema": schema, "table": "nobody"}, "dimensions": ["x"]}
            ),
        )
