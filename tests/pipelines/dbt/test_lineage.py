"""Lineage from the manifest: up/downstream lists, charts added by the caller, and the PNG picture."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.image import imread

from pipelines.dbt.lineage import LineageGraph, render_lineage_png
from pipelines.errors import BadInputError
from tests.pipelines.dbt.conftest import DuckOrg

SRC = "{{ source('raw_survey', 'visits') }}"


def _names(nodes: list) -> list[str]:
    return [n.label for n in nodes]


def test_upstream_and_downstream_from_the_project_manifest(duck_org: DuckOrg, tmp_path: Path) -> None:
    project = duck_org.project
    project.write_sql_model("lin_clean", f"select * from {SRC}")
    project.write_sql_model("lin_totals", "select district, sum(visits) as v from {{ ref('lin_clean') }} group by 1")
    project.write_sql_model(
        "lin_ratio", f"select * from {{{{ ref('lin_totals') }}}} join (select count(*) as n from {SRC}) on true"
    )

    graph = duck_org.runner.lineage()
    graph.add_node("chart.7", "Visits by district", "chart")
    graph.add_edge("model.dalgo_org.lin_ratio", "chart.7")

    assert _names(graph.upstream("lin_ratio")) == ["lin_totals", "raw_survey.visits", "lin_clean"]
    assert _names(graph.upstream("lin_ratio", depth=1)) == ["lin_totals", "raw_survey.visits"]
    assert _names(graph.downstream("lin_clean")) == ["lin_totals", "lin_ratio", "Visits by district"]
    assert "lin_clean" in _names(graph.downstream("raw_survey.visits", depth=1))
    assert graph.nodes["source.dalgo_org.raw_survey.visits"].kind == "source"
    assert not any(n.kind == "test" for n in graph.nodes.values())
    png = render_lineage_png(graph, tmp_path / "lineage.png", highlight="lin_totals")
    image = imread(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.shape[1] > image.shape[0] > 200  # wider than tall: sources left, charts right


def _manifest() -> dict:
    """A manifest.json-shaped dict: two sources, a fan-in, a fan-out, a seed, a test and an exposure."""

    def node(kind: str, name: str, parents: list[str]) -> tuple[str, dict]:
        uid = f"{kind}.org.{name}"
        return uid, {"resource_type": kind, "name": name, "depends_on": {"nodes": parents}}

    nodes = dict(
        [
            node("model", "stg_households", ["source.org.raw_kobo.households"]),
            node("model", "stg_members", ["source.org.raw_kobo.members"]),
            node("seed", "districts", []),
            node(
                "model", "household_size", ["model.org.stg_households", "model.org.stg_members", "seed.org.districts"]
            ),
            node("model", "by_district", ["model.org.household_size"]),
            node("model", "by_village", ["model.org.household_size"]),
            node("test", "not_null_stg_members_id", ["model.org.stg_members"]),
        ]
    )
    sources = {
        f"source.org.raw_kobo.{t}": {"name": t, "source_name": "raw_kobo", "schema": "raw_kobo"}
        for t in ("households", "members")
    }
    exposures = {"exposure.org.dashboard": {"resource_type": "exposure", "name": "dashboard",
                                            "depends_on": {"nodes": ["model.org.by_district"]}}}  # fmt: skip
    return {"nodes": nodes, "sources": sources, "exposures": exposures}


def test_layers_run_left_to_right_by_longest_path() -> None:
    graph = LineageGraph.from_manifest(_manifest())
    layers = [[graph.nodes[n].name for n in layer] for layer in graph.layers()]
    assert set(layers[0]) == {"households", "members", "districts"}
    assert layers[1:] == [
        ["stg_households", "stg_members"],
        ["household_size"],
        ["by_district", "by_village"],
        ["dashboard"],
    ]
    assert "test.org.not_null_stg_members_id" not in graph.nodes
    assert graph.to_dict()["edges"][0] == {"from": "model.org.by_district", "to": "exposure.org.dashboard"}


def test_cycles_and_unknown_names_are_reported() -> None:
    graph = LineageGraph.from_manifest(_manifest())
    with pytest.raises(BadInputError, match="Nothing called 'nope'"):
        graph.upstream("nope")
    with pytest.raises(BadInputError, match="not in the lineage graph"):
        graph.add_edge("model.org.by_village", "chart.404")
    graph.add_node("chart.1", "loop", "chart")
    graph.add_edge("model.org.by_village", "chart.1")
    graph.add_edge("chart.1", "model.org.stg_members")
    with pytest.raises(BadInputError, match="cycle"):
        graph.layers()


def test_png_of_a_branching_graph(tmp_path: Path) -> None:
    graph = LineageGraph.from_manifest(_manifest())
    for i in range(3):
        graph.add_node(f"chart.{i}", f"Chart number {i} with a rather long title", "chart")
        graph.add_edge("model.org.by_village", f"chart.{i}")
    png = render_lineage_png(graph, tmp_path / "big.png")
    height, width = imread(png).shape[:2]
    small = render_lineage_png(LineageGraph.from_manifest({"nodes": {}, "sources": {}}), tmp_path / "empty.png")
    assert width > 1000 and height > 250
    assert imread(small).shape[1] < width
