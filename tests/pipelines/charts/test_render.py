"""Drawing: every chart type to PNG/SVG/PDF, top N + Other, No data, labels that do not collide, Indian numbers."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pipelines.charts.numbers import format_number, group_indian
from pipelines.charts.query import OutColumn
from pipelines.charts.render import figure_for, pdf_of, render
from pipelines.charts.run import ChartResult
from pipelines.charts.spec import ChartSpec
from pipelines.charts.style import OTHER_COLOUR

T = {"schema": "raw", "table": "t"}


def result(rows: list[list[Any]], *names: str) -> ChartResult:
    return ChartResult([OutColumn(n, "dimension") for n in names], rows, len(rows), "SELECT ...")


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (123456789, "indian", "12,34,56,789"),
        (1234567, "indian_short", "12.3 lakh"),
        (12345678, "indian_short", "1.2 crore"),
        (99999, "indian", "99,999"),
        (100000, "indian", "1,00,000"),
        (-1234567.5, "indian", "-12,34,568"),
        (123456789, "international", "123,456,789"),
        (4500000, "international_short", "4.5M"),
        (0.256, "percent", "25.6%"),
    ],
)
def test_numbers_in_indian_and_international_formats(value: float, fmt: str, text: str) -> None:
    assert format_number(value, fmt) == text


def test_indian_grouping_is_three_then_pairs() -> None:
    assert [group_indian(d) for d in ("1", "1234", "12345", "123456789012")] == [
        "1",
        "1,234",
        "12,345",
        "1,23,45,67,89,012",
    ]


def test_a_pie_of_500_slices_shows_the_largest_and_one_grey_other() -> None:
    spec = ChartSpec.model_validate({"chart_type": "pie", "input": T, "dimensions": ["village"]})
    rows = [[f"village {i}", 1000 - i] for i in range(500)]
    fig = figure_for(spec, result(rows, "village", "Count"))
    wedges = fig.axes[0].patches
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(wedges) == 8 and legend[-1].startswith("Other (493)")
    assert tuple(round(c, 3) for c in wedges[-1].get_facecolor()[:3]) == tuple(
        round(int(OTHER_COLOUR[i : i + 2], 16) / 255, 3) for i in (1, 3, 5)
    )
    assert "village 0" in legend[0]


def test_zero_rows_draw_no_data_instead_of_failing() -> None:
    for chart_type in ("bar", "line", "pie", "number", "histogram", "scatter", "table"):
        dims = ["a", "b"] if chart_type == "scatter" else ["a"]
        spec = ChartSpec.model_validate({"chart_type": chart_type, "input": T, "dimensions": dims})
        fig = figure_for(spec, result([], "a"))
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert "No data" in texts, chart_type


def _collisions(fig: Any) -> int:
    """Neighbouring x labels that touch: boxes for level labels; for slanted ones, the gap across the slant."""
    import math

    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    labels = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    if labels[0].get_rotation() == 0:
        return sum(1 for a, b in itertools.pairwise(boxes) if a.overlaps(b))
    spacing = boxes[1].x1 - boxes[0].x1  # right-aligned: the anchors are one tick apart
    line_px = labels[0].get_fontsize() * fig.dpi / 72 * 1.2
    gap = spacing * math.sin(math.radians(labels[0].get_rotation()))
    return 0 if gap >= line_px else len(labels) - 1


def test_long_category_names_never_overlap_at_the_default_size() -> None:
    names = [f"Anganwadi Centre Number {i} of the North Block (Kalyanpura Taluk)" for i in range(12)]
    spec = ChartSpec.model_validate({"chart_type": "bar", "input": T, "dimensions": ["centre"], "max_categories": 12})
    fig = figure_for(spec, result([[n, 100 * (12 - i)] for i, n in enumerate(names)], "centre", "Count"))
    assert _collisions(fig) == 0 and fig.axes[0].get_xticklabels()[0].get_rotation() > 0
    short = figure_for(spec, result([["Pune", 3], ["Goa", 2]], "city", "Count"))
    assert [t.get_rotation() for t in short.axes[0].get_xticklabels()] == [0.0, 0.0]


def test_value_axis_uses_lakh_and_crore() -> None:
    spec = ChartSpec.model_validate({"chart_type": "bar", "input": T, "dimensions": ["d"], "number_format": "indian"})
    fig = figure_for(spec, result([["A", 25_000_000], ["B", 12_000_000]], "d", "Total"))
    fig.draw_without_rendering()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "2 crore" in ticks and "1 crore" in ticks


def test_every_type_renders_to_png_svg_and_pdf() -> None:
    cases = {
        "bar": ([["a", 1], ["b", 2]], {"dimensions": ["d"], "stacked": True}),
        "line": ([["a", 1], ["b", 2]], {"dimensions": ["d"]}),
        "area": ([["a", 1], ["b", 2]], {"dimensions": ["d"]}),
        "number": ([[1234567]], {}),
        "table": ([[1, "x"], [2, "y"]], {}),
        "pivot": ([["a", "x", 1], ["a", "y", 2]], {"dimensions": ["d"], "pivot_columns": ["p"]}),
        "scatter": ([[1, 2], [3, 4]], {"dimensions": ["x", "y"]}),
        "histogram": ([[0.0, 1.0, 3], [1.0, 2.0, 4]], {"dimensions": ["x"]}),
    }
    for chart_type, (rows, extra) in cases.items():
        spec = ChartSpec.model_validate({"chart_type": chart_type, "input": T, **extra})
        res = result(rows, "a", "b", "c")
        assert render(spec, res, "png").startswith(b"\x89PNG")
        assert b"<svg" in render(spec, res, "svg")[:400]
        assert render(spec, res, "pdf").startswith(b"%PDF")


def test_rendering_is_safe_in_threads_and_repeatable() -> None:
    spec = ChartSpec.model_validate({"chart_type": "bar", "input": T, "dimensions": ["d"]})
    res = result([[f"district {i}", i * 1000] for i in range(10)], "d", "Total")
    with ThreadPoolExecutor(4) as pool:
        images = list(pool.map(lambda _: render(spec, res, "png"), range(8)))
    assert len(set(images)) == 1


def test_several_charts_make_one_multi_page_pdf() -> None:
    spec = ChartSpec.model_validate({"chart_type": "bar", "input": T, "dimensions": ["d"]})
    pdf = pdf_of(figure_for(spec, result([["a", i]], "d", "n")) for i in range(3))
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 3


def test_forty_categories_with_series_are_thinned_rather_than_piled_up() -> None:
    spec = ChartSpec.model_validate({"chart_type": "bar", "input": T, "dimensions": ["district", "sex"]})
    rows = [[f"District {i}", sex, 100] for i in range(60) for sex in ("Girl", "Boy")]
    fig = figure_for(spec, result(rows, "district", "sex", "Count"))
    fig.draw_without_rendering()
    labels = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert labels[0].get_rotation() == 90.0 and 10 < len(labels) < 60
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes))
