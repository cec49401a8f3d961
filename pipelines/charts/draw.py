"""One drawing function per chart type, on a Figure the renderer made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pipelines.charts.numbers import format_number, format_value
from pipelines.charts.run import ChartResult
from pipelines.charts.spec import ChartSpec
from pipelines.charts.style import (
    DOWN,
    MUTED,
    OTHER_COLOUR,
    PALETTE,
    TEXT,
    UP,
    category_labels,
    colours,
    number_formatter,
    style_axes,
    top_n_with_other,
)

ADDITIVE = {"count", "sum"}
MAX_SERIES = 8


def _additive(spec: ChartSpec) -> bool:
    return all(m.agg in ADDITIVE and not m.expression for m in spec.metrics)


def _series(result: ChartResult, spec: ChartSpec) -> tuple[list[Any], dict[str, list[float | None]]]:
    """x values in order and one list of values per series (a second dimension, or one per metric)."""
    rows = result.rows
    if len(spec.dimensions) >= 2 and spec.chart_type in ("bar", "line", "area"):
        xs = list(dict.fromkeys(r[0] for r in rows))
        totals: dict[Any, float] = {}
        for r in rows:
            totals[r[1]] = totals.get(r[1], 0) + float(r[2] or 0)
        names = sorted(totals, key=lambda k: -totals[k])[:MAX_SERIES]
        table = {(r[0], r[1]): r[2] for r in rows}
        return xs, {format_value(n): [table.get((x, n)) for x in xs] for n in names}
    xs = [r[0] for r in rows]
    return xs, {m.name(): [r[1 + i] for r in rows] for i, m in enumerate(spec.metrics)}


def bar(fig: Any, spec: ChartSpec, result: ChartResult, *, width: int, **_: Any) -> None:
    ax = fig.add_subplot()
    xs, series = _series(result, spec)
    if len(series) == 1 and spec.time_grain is None:
        name, values = next(iter(series.items()))
        xs, values, grouped = top_n_with_other(xs, values, spec.max_categories, _additive(spec))
        series = {name: values}
        _note(fig, grouped, len(xs) + grouped - (1 if _additive(spec) else 0))
    cols = colours(spec.colors, len(series))
    n, k = len(xs), len(series)
    positions: list[float] = [float(p) for p in range(n)]
    step = 0.8 / (1 if spec.stacked else k)
    base = [0.0] * n
    for j, (name, values) in enumerate(series.items()):
        vals = [float(v or 0) for v in values]
        offs = positions if spec.stacked else [p - 0.4 + step * (j + 0.5) for p in positions]
        bar_colours = [OTHER_COLOUR if str(x).startswith("Other (") else cols[j] for x in xs]
        if spec.horizontal:
            ax.barh(offs, vals, height=step * 0.95, left=base if spec.stacked else None, color=bar_colours, label=name)
        else:
            ax.bar(offs, vals, width=step * 0.95, bottom=base if spec.stacked else None, color=bar_colours, label=name)
        if spec.stacked:
            base = [b + v for b, v in zip(base, vals, strict=True)]
    _category_axis(ax, spec, xs, width, horizontal=spec.horizontal)
    _labels(ax, spec, result, horizontal=spec.horizontal)
    if k > 1:
        _legend(fig, ax, k)


def _legend(fig: Any, ax: Any, series: int) -> None:
    """Series names under the plot, clear of the title and axis labels (constrained layout makes room)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, frameon=False, fontsize=8, ncols=min(series, 6), loc="outside lower center")


def _category_axis(ax: Any, spec: ChartSpec, xs: list[Any], width: int, *, horizontal: bool) -> None:
    if horizontal:
        labels, _ = category_labels(xs, width * 3)
        ax.set_yticks(range(len(xs)), [lab.replace("\n", " ") for lab in labels])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(number_formatter(spec.number_format))
        style_axes(ax, "x")
        return
    labels, rotation = category_labels(xs, width * 0.85)
    ax.set_xticks(range(len(xs)), labels, rotation=rotation, ha="right" if 0 < rotation < 90 else "center")
    ax.yaxis.set_major_formatter(number_formatter(spec.number_format))
    style_axes(ax, "y")


def _labels(ax: Any, spec: ChartSpec, result: ChartResult, *, horizontal: bool = False) -> None:
    x_label = spec.x_label if spec.x_label is not None else (result.columns[0].name if result.columns else "")
    y_label = spec.y_label if spec.y_label is not None else (spec.metrics[0].name() if spec.metrics else "")
    if horizontal:
        x_label, y_label = y_label, x_label
    ax.set_xlabel(x_label, color=MUTED)
    ax.set_ylabel(y_label, color=MUTED)


def _note(fig: Any, grouped: int, total: int) -> None:
    if grouped:
        fig.text(
            0.99, 0.005, f"{grouped} of {total} groups shown as Other", ha="right", va="bottom", fontsize=7, color=MUTED
        )


def line(fig: Any, spec: ChartSpec, result: ChartResult, *, width: int, area: bool = False, **_: Any) -> None:
    ax = fig.add_subplot()
    xs, series = _series(result, spec)
    dated = all(isinstance(x, date) for x in xs)
    positions: list[Any] = xs if dated else list(range(len(xs)))
    cols = colours(spec.colors, len(series))
    base = [0.0] * len(xs)
    for j, (name, values) in enumerate(series.items()):
        vals = [float(v) if v is not None else float("nan") for v in values]
        if area:
            top = [b + (0 if v != v else v) for b, v in zip(base, vals, strict=True)]
            ax.fill_between(positions, base, top, color=cols[j], alpha=0.75, label=name, linewidth=0)
            base = top if spec.stacked else base
        else:
            ax.plot(
                positions,
                vals,
                color=cols[j],
                label=name,
                linewidth=2,
                marker="o" if len(xs) <= 24 else None,
                markersize=4,
            )
    if dated:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator(maxticks=max(3, width // 90))
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.yaxis.set_major_formatter(number_formatter(spec.number_format))
        style_axes(ax, "y")
    else:
        _category_axis(ax, spec, xs, width, horizontal=False)
    _labels(ax, spec, result)
    if len(series) > 1:
        _legend(fig, ax, len(series))


def area(fig: Any, spec: ChartSpec, result: ChartResult, **kw: Any) -> None:
    line(fig, spec, result, area=True, **kw)


def pie(fig: Any, spec: ChartSpec, result: ChartResult, **_: Any) -> None:
    """Slices largest first; beyond max_categories the rest is one grey 'Other' slice."""
    ax = fig.add_subplot()
    labels = [r[0] for r in result.rows]
    values = [float(r[1] or 0) for r in result.rows]
    # no more slices than distinct colours, so no two slices share one
    labels, values2, grouped = top_n_with_other(labels, values, min(spec.max_categories, len(PALETTE)), True)
    vals = [float(v or 0) for v in values2]
    cols = colours(spec.colors, len(vals))
    cols = [OTHER_COLOUR if str(lab).startswith("Other (") else c for lab, c in zip(labels, cols, strict=True)]
    total = sum(vals) or 1.0
    wedges, *_rest = ax.pie(
        vals,
        colors=cols,
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.45 if spec.donut else 1, "edgecolor": "white", "linewidth": 1},
        autopct=lambda p: f"{p:.0f}%" if p >= 4 else "",
        pctdistance=0.78 if spec.donut else 0.65,
        textprops={"color": "white", "fontsize": 8},
    )
    legend = [
        f"{format_value(lab)[:28]} — {format_number(v, spec.number_format)} ({v / total:.0%})"
        for lab, v in zip(labels, vals, strict=True)
    ]
    ax.legend(wedges, legend, frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set_aspect("equal")
    _note(fig, grouped, len(result.rows))


def number(fig: Any, spec: ChartSpec, result: ChartResult, **_: Any) -> None:
    """A big number; with periods, the change against the previous one (arrow and words, not colour alone)."""
    ax = fig.add_subplot()
    ax.set_axis_off()
    row = result.rows[0]
    value = row[-1]
    ax.text(
        0.5,
        0.58,
        format_number(value, spec.number_format),
        ha="center",
        va="center",
        fontsize=40,
        color=TEXT,
        fontweight="bold",
        transform=ax.transAxes,
    )
    caption = spec.metrics[0].name()
    if spec.time_column and len(row) > 1:
        caption += f" — {spec.time_grain} of {format_value(row[0])}"
    ax.text(0.5, 0.34, caption, ha="center", va="center", fontsize=11, color=MUTED, transform=ax.transAxes)
    if result.change is not None:
        up = result.change >= 0
        words = f"{'▲' if up else '▼'} {abs(result.change):.1%} vs previous {spec.time_grain}"
        ax.text(
            0.5, 0.2, words, ha="center", va="center", fontsize=12, color=UP if up else DOWN, transform=ax.transAxes
        )


def scatter(fig: Any, spec: ChartSpec, result: ChartResult, **_: Any) -> None:
    ax = fig.add_subplot()
    xs = [float(r[0]) for r in result.rows]
    ys = [float(r[1]) for r in result.rows]
    ax.scatter(xs, ys, s=12, alpha=0.6, color=colours(spec.colors, 1)[0], linewidths=0)
    ax.xaxis.set_major_formatter(number_formatter(spec.number_format))
    ax.yaxis.set_major_formatter(number_formatter(spec.number_format))
    style_axes(ax, "both")
    ax.set_xlabel(spec.x_label or result.columns[0].name, color=MUTED)
    ax.set_ylabel(spec.y_label or result.columns[1].name, color=MUTED)


def histogram(fig: Any, spec: ChartSpec, result: ChartResult, **_: Any) -> None:
    ax = fig.add_subplot()
    starts = [r[0] for r in result.rows]
    widths = [r[1] - r[0] for r in result.rows]
    ax.bar(
        starts,
        [r[2] for r in result.rows],
        width=widths,
        align="edge",
        color=colours(spec.colors, 1)[0],
        edgecolor="white",
        linewidth=0.8,
    )
    ax.xaxis.set_major_formatter(number_formatter(spec.number_format))
    ax.yaxis.set_major_formatter(number_formatter("international"))
    style_axes(ax, "y")
    ax.set_xlabel(spec.x_label or spec.dimensions[0], color=MUTED)
    ax.set_ylabel(spec.y_label or "Rows", color=MUTED)


def _table(fig: Any, spec: ChartSpec, result: ChartResult, **kw: Any) -> None:
    from pipelines.charts.draw_table import table

    table(fig, spec, result, **kw)


def _pivot(fig: Any, spec: ChartSpec, result: ChartResult, **kw: Any) -> None:
    from pipelines.charts.draw_table import pivot

    pivot(fig, spec, result, **kw)


def _map(fig: Any, spec: ChartSpec, result: ChartResult, **kw: Any) -> None:
    from pipelines.charts.draw_map import choropleth

    choropleth(fig, spec, result, **kw)


DRAWERS: dict[str, Callable[..., None]] = {
    "bar": bar,
    "line": line,
    "area": area,
    "pie": pie,
    "number": number,
    "scatter": scatter,
    "histogram": histogram,
    "table": _table,
    "pivot": _pivot,
    "map": _map,
}
