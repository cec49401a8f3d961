"""Cluster and merge on messy city names, and accepting a cluster as a mass-edit step."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.recipes import RecipeError, cluster_column, merge_step, preview
from tests.pipelines.recipes.conftest import recipe

CITIES = [
    "Bengaluru", "Bengaluru", "Bengaluru", "bengaluru ", "BENGALURU", "Bengalūru", "Bangalore", "Bangalore",
    "New Delhi", "Delhi, New", "new  delhi", "Pune", "Mumbai", None, "", "...", "-!-",
]  # fmt: skip


@pytest.fixture
def cities() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE places (city VARCHAR)")
    con.executemany("INSERT INTO places VALUES (?)", [(c,) for c in CITIES])
    return con


def test_fingerprint_clusters_spellings_but_not_other_names(cities: duckdb.DuckDBPyConnection) -> None:
    clusters = cluster_column(cities, "places", "city")
    by_key = {c.key: c for c in clusters}
    assert set(by_key) == {"bengaluru", "delhi new"}  # '', '...' and '-!-' have no letters: never a cluster
    bengaluru = by_key["bengaluru"]
    assert bengaluru.values == [("Bengaluru", 3), ("BENGALURU", 1), ("Bengalūru", 1), ("bengaluru ", 1)]
    assert bengaluru.suggested == "Bengaluru" and bengaluru.rows == 6
    assert clusters[0].key == "bengaluru"  # biggest cluster first
    assert all("Bangalore" not in [v for v, _ in c.values] for c in clusters)


def test_ngram_clusters(cities: duckdb.DuckDBPyConnection) -> None:
    clusters = cluster_column(cities, "places", "city", method="ngram", ngram_size=2)
    groups = [sorted(v for v, _ in c.values) for c in clusters]
    assert ["BENGALURU", "Bengaluru", "Bengalūru", "bengaluru "] in groups
    assert ["New Delhi", "new  delhi"] in groups  # word order matters for n-grams
    assert not any("Bangalore" in g for g in groups)


def test_min_cluster_size_and_limit(cities: duckdb.DuckDBPyConnection) -> None:
    assert [c.key for c in cluster_column(cities, "places", "city", min_cluster_size=4)] == ["bengaluru"]
    assert len(cluster_column(cities, "places", "city", limit=1)) == 1
    with pytest.raises(RecipeError, match="unknown clustering method"):
        cluster_column(cities, "places", "city", method="soundex")  # type: ignore[arg-type]


def test_accepting_a_cluster_makes_a_mass_edit_step(con: duckdb.DuckDBPyConnection) -> None:
    clusters = cluster_column(con, '"raw"."survey"', "city")
    assert len(clusters) == 1
    step = merge_step("city", clusters, choices={clusters[0].key: "Bengaluru"})
    assert step.op == "mass_edit" and step.description == "Merge 4 spellings of 'Bengaluru' in city"
    rcp = recipe(step.model_dump())
    rows = preview(con, rcp, input_relation='"raw"."survey"').rows
    assert sorted(r[2] for r in rows) == ["Bangalore", "Bengaluru", "Bengaluru", "Bengaluru", "Bengaluru"]


def test_merge_from_value_pairs_and_nothing_to_merge() -> None:
    step = merge_step("city", [(["Bangalore", "Bengaluru"], "Bengaluru")])
    assert step.config["edits"] == [{"from": ["Bangalore", "Bengaluru"], "to": "Bengaluru"}]
    with pytest.raises(RecipeError, match="nothing to merge"):
        merge_step("city", [(["Pune"], "Pune")])
