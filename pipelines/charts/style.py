"""The house style: Okabe-Ito colours (readable with colour blindness), quiet axes, labels that never collide."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

from pipelines.charts.numbers import axis_format, format_number, format_value

# Okabe & Ito (2008), ordered so neighbouring series differ in lightness as well as hue; yellow late.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
OTHER_COLOUR = "#9E9E9E"
TEXT = "#222222"
MUTED = "#666666"
GRID = "#E5E5E5"
UP, DOWN = "#0072B2", "#D55E00"  # blue up, vermilion down: told apart without red/green
FONT = {"size": 9}
MAP_COLOURS = "cividis"  # sequential and colour-blind safe
OTHER = "Other"
LINE_PX = 14.0  # one 9 pt line and a little air, at 100 dpi


def colours(spec_colours: Sequence[str], n: int) -> list[str]:
    """n colours: the chart's own first, then the palette."""
    chosen = list(spec_colours) + [c for c in PALETTE if c not in spec_colours]
    return [chosen[i % len(chosen)] for i in range(n)]


def style_axes(ax: Any, value_axis: str = "y") -> None:
    """No box, a light grid along the values only."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#BBBBBB")
    ax.tick_params(colors=TEXT, labelsize=FONT["size"], length=3)
    ax.grid(axis=value_axis, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def number_formatter(fmt: str) -> Any:
    """A tick formatter writing values in the chart's number system, short form."""
    from matplotlib.ticker import FuncFormatter

    short = axis_format(fmt)
    return FuncFormatter(lambda v, _pos: format_number(int(v) if float(v).is_integer() else v, short))


def wrap_label(value: Any, width: int, lines: int = 2, *, split_words: bool = True) -> str:
    """A category name wrapped to `width` characters on at most `lines` lines, ellipsised beyond."""
    text = format_value(value)
    parts = textwrap.wrap(text, max(width, 4), break_long_words=split_words) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: max(width - 1, 1)].rstrip() + "…"
    return "\n".join(parts)


def category_labels(values: Sequence[Any], axis_px: float) -> tuple[list[str], float]:
    """Labels that fit side by side along `axis_px` pixels: wrapped; else slanted 35°; else upright, thinned.

    Slanted labels stay apart while the gap across the slant (spacing * sin 35°) holds a line of text; when
    even upright (90°) labels would touch, only every k-th is written.
    """
    n = max(len(values), 1)
    spacing = axis_px / n
    chars = max(int(spacing / 7.5) - 1, 3)  # ~7 px per character at 9 pt, and a gap between labels
    wrapped = [wrap_label(v, chars, split_words=False) for v in values]
    longest = max((len(line) for w in wrapped for line in w.split("\n")), default=0)
    if (longest + 1) * 7.5 <= spacing and chars >= 6:
        return wrapped, 0.0
    if spacing * math.sin(math.radians(35)) >= LINE_PX:
        return [wrap_label(v, 22, 1) for v in values], 35.0
    step = max(1, math.ceil(LINE_PX / spacing))
    return [wrap_label(v, 22, 1) if i % step == 0 else "" for i, v in enumerate(values)], 90.0


def top_n_with_other(
    labels: list[Any], values: Sequence[float | None], n: int, additive: bool
) -> tuple[list[Any], list[float | None], int]:
    """The n largest and one 'Other' holding the rest (summed when the metric adds up); how many were grouped."""
    if len(labels) <= n:
        return labels, list(values), 0
    order = sorted(range(len(labels)), key=lambda i: -(values[i] or 0))
    keep = sorted(order[: n - 1], key=lambda i: order.index(i))
    rest = order[n - 1 :]
    out_labels = [labels[i] for i in keep]
    out_values: list[float | None] = [values[i] for i in keep]
    if additive:
        out_labels.append(f"{OTHER} ({len(rest)})")
        out_values.append(sum(values[i] or 0 for i in rest))
    return out_labels, out_values, len(rest)
