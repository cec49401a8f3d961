"""Rows → a matplotlib Figure (Agg, object API only: no pyplot state, safe in threads) → PNG/SVG/PDF bytes."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from pipelines.charts.numbers import format_number
from pipelines.charts.run import ChartResult
from pipelines.charts.spec import ChartSpec
from pipelines.charts.style import FONT, MUTED, TEXT

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
DPI = 100


def new_figure(width: int, height: int) -> Any:
    """A Figure on its own Agg canvas with constrained layout (labels get the room they need)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def figure_for(
    spec: ChartSpec,
    result: ChartResult,
    *,
    width: int = 800,
    height: int = 500,
    geojson: dict[str, Any] | None = None,
) -> Any:
    """The chart as a Figure; no rows draws a 'No data' figure rather than failing."""
    fig = new_figure(width, height)
    title = spec.title or ""
    if title:
        fig.suptitle(title, fontsize=12, color=TEXT, fontweight="bold")
    if not result.rows and spec.chart_type not in ("table", "pivot"):
        _no_data(fig, "No data", "No rows match this chart's table and filters.")
        return fig
    from pipelines.charts import draw

    draw.DRAWERS[spec.chart_type](fig, spec, result, width=width, height=height, geojson=geojson)
    return fig


def message_figure(title: str, message: str, *, width: int = 800, height: int = 500) -> Any:
    """A figure that says why a chart cannot be drawn (its table is gone, say), for dashboards and PDFs."""
    fig = new_figure(width, height)
    _no_data(fig, title, message)
    return fig


def _no_data(fig: Any, headline: str, message: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.56, headline, ha="center", va="center", fontsize=16, color=TEXT, transform=ax.transAxes)
    ax.text(
        0.5,
        0.42,
        message,
        ha="center",
        va="center",
        fontsize=FONT["size"] + 1,
        color=MUTED,
        transform=ax.transAxes,
        wrap=True,
    )


def to_bytes(fig: Any, fmt: str) -> bytes:
    """The figure as PNG, SVG or PDF bytes (no timestamps, so the same chart gives the same file)."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"Unknown image format {fmt!r}; use png, svg or pdf")
    buf = io.BytesIO()
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    fig.savefig(buf, format=fmt, dpi=DPI, metadata=metadata)
    return buf.getvalue()


def render(
    spec: ChartSpec,
    result: ChartResult,
    fmt: str = "png",
    *,
    width: int = 800,
    height: int = 500,
    geojson: dict[str, Any] | None = None,
) -> bytes:
    """The chart drawn and saved in one call."""
    return to_bytes(figure_for(spec, result, width=width, height=height, geojson=geojson), fmt)


def pdf_of(figures: Iterable[Any]) -> bytes:
    """Several figures as the pages of one PDF."""
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    with PdfPages(buf, metadata={"CreationDate": None}) as pdf:
        for fig in figures:
            pdf.savefig(fig)
    return buf.getvalue()


def number_text(value: Any, fmt: str) -> str:
    """A metric value in the chart's number format."""
    return format_number(value, fmt)
