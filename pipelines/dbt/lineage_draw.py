"""Draw a lineage graph with matplotlib's object API (Agg canvas, no pyplot state): columns left to right."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pipelines.dbt.lineage import LineageGraph

BOX_W, BOX_H = 2.2, 0.62  # data units; one column is BOX_W + COL_GAP wide, one row ROW_H tall
COL_GAP, ROW_H = 1.1, 0.8
MAX_LABEL = 26  # characters on one line of a box
MAX_LINES = 3
KIND_COLOURS = {
    "source": "#d9f2e3",
    "seed": "#fde7c8",
    "model": "#dbe8fb",
    "snapshot": "#eadcf8",
    "exposure": "#fbdada",
    "chart": "#fbdada",
}
OTHER_COLOUR = "#eeeeee"
MAX_INCHES = 80.0


def draw_lineage(graph: LineageGraph, path: Path, highlight: str | None) -> Path:
    """Lay the graph out in columns and save it as a PNG at `path`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from pipelines.dbt.lineage import layered_layout

    layout = layered_layout(graph)
    columns = layout.columns
    rows = max((len(c) for c in columns), default=1)
    centres = _positions(columns, rows)
    width = max(len(columns), 1) * (BOX_W + COL_GAP) + COL_GAP
    height = rows * ROW_H + 1.2
    fig = Figure(figsize=(min(max(width * 1.1, 4.0), MAX_INCHES), min(max(height * 1.1, 2.5), MAX_INCHES)))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(-0.6, height - 0.6)
    ax.set_axis_off()
    for route in layout.routes:
        _draw_route(ax, [centres[n] for n in route])
    _draw_boxes(ax, graph, {n: xy for n, xy in centres.items() if n in graph.nodes}, highlight)
    _draw_legend(ax, graph, width, height)
    if not graph.nodes:
        ax.text(width / 2, height / 2 - 0.6, "No sources or models yet", ha="center", va="center", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=110, facecolor="white")
    return path


def _positions(columns: list[list[str]], rows: int) -> dict[str, tuple[float, float]]:
    """Box centres: column i at x = gap + i * (box + gap); each column centred vertically, first node on top."""
    centres = {}
    for i, column in enumerate(columns):
        x = COL_GAP + i * (BOX_W + COL_GAP) + BOX_W / 2
        top = (rows - 1) * ROW_H / 2 + (len(column) - 1) * ROW_H / 2
        for k, node in enumerate(column):
            centres[node] = (x, top - k * ROW_H)
    return centres


def _draw_route(ax: Axes, points: list[tuple[float, float]]) -> None:
    """One edge: S-curves between columns, straight through the columns it crosses, an arrow into the child."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as MplPath

    vertices = [(points[0][0] + BOX_W / 2, points[0][1])]
    codes = [MplPath.MOVETO]
    for k, (x, y) in enumerate(points[1:], start=1):
        x0, y0 = vertices[-1]
        x_in = x - BOX_W / 2
        bend = (x_in - x0) / 2
        vertices += [(x0 + bend, y0), (x_in - bend, y), (x_in, y)]
        codes += [MplPath.CURVE4] * 3
        if k < len(points) - 1:  # a placeholder column: pass straight through it
            vertices.append((x + BOX_W / 2, y))
            codes.append(MplPath.LINETO)
    arrow = FancyArrowPatch(
        path=MplPath(vertices, codes), arrowstyle="-|>", mutation_scale=10, color="#7a869a", linewidth=0.9, zorder=1
    )
    ax.add_patch(arrow)


def _draw_boxes(ax: Axes, graph: LineageGraph, centres: dict[str, tuple[float, float]], highlight: str | None) -> None:
    from matplotlib.patches import FancyBboxPatch

    for node_id, (x, y) in centres.items():
        node = graph.nodes[node_id]
        strong = node_id == highlight
        box = FancyBboxPatch(
            (x - BOX_W / 2, y - BOX_H / 2),
            BOX_W,
            BOX_H,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=KIND_COLOURS.get(node.kind, OTHER_COLOUR),
            edgecolor="#c0392b" if strong else "#44546a",
            linewidth=2.2 if strong else 0.9,
            zorder=2,
        )
        ax.add_patch(box)
        label = wrapped(node.label)
        ax.text(x, y, label, ha="center", va="center", fontsize=8 if "\n" not in label else 6.5, zorder=3,
                fontweight="bold" if strong else "normal", linespacing=1.1)  # fmt: skip


def wrapped(name: str) -> str:
    """A long name on up to three lines, broken after '_' or '.' where it can be, so the whole name shows."""
    import re
    import textwrap

    parts = re.findall(r"[^_.]+[_.]?", name) or [name]
    lines = textwrap.wrap(" ".join(parts), MAX_LABEL, break_long_words=True)
    lines = [line.replace("_ ", "_").replace(". ", ".") for line in lines]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: MAX_LABEL - 1] + "…"]
    return "\n".join(lines)


def _draw_legend(ax: Axes, graph: LineageGraph, width: float, height: float) -> None:
    from matplotlib.patches import Patch

    kinds = sorted(
        {n.kind for n in graph.nodes.values()}, key=lambda k: list(KIND_COLOURS).index(k) if k in KIND_COLOURS else 99
    )
    if kinds:
        handles = [Patch(facecolor=KIND_COLOURS.get(k, OTHER_COLOUR), edgecolor="#44546a", label=k) for k in kinds]
        ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False, ncols=len(kinds))
