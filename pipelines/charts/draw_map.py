"""Choropleth: each area of the boundary file shaded by the chart's value for its name."""

from __future__ import annotations

from typing import Any

from pipelines.charts.geo import BadGeoJson, check_key, key_of
from pipelines.charts.numbers import format_number
from pipelines.charts.run import ChartResult
from pipelines.charts.spec import ChartSpec
from pipelines.charts.style import MAP_COLOURS, MUTED, TEXT, number_formatter

NO_DATA = "#EEEEEE"


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Outer rings of a Polygon or MultiPolygon (holes are rare in district files and left out)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [poly[0] for poly in geometry["coordinates"]]


def choropleth(fig: Any, spec: ChartSpec, result: ChartResult, *, geojson: dict[str, Any] | None, **_: Any) -> None:
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Polygon

    if geojson is None or spec.map is None:
        raise BadGeoJson("The map's boundary file is missing", hint="Upload it again or choose another")
    key = spec.map.key_property
    check_key(geojson, key, [r[0] for r in result.rows])
    values = {key_of(r[0]): float(r[1]) for r in result.rows if r[0] is not None and r[1] is not None}
    ax = fig.add_subplot()
    present = list(values.values()) or [0.0]
    norm = Normalize(vmin=min(present), vmax=max(present) if max(present) > min(present) else min(present) + 1)
    mappable = ScalarMappable(norm=norm, cmap=MAP_COLOURS)
    for feature in geojson["features"]:
        name = feature["properties"].get(key)
        value = values.get(key_of(name)) if name is not None else None
        face = mappable.to_rgba(value) if value is not None else NO_DATA  # type: ignore[arg-type]
        for ring in _rings(feature["geometry"]):
            ax.add_patch(
                Polygon(
                    ring,
                    closed=True,
                    facecolor=face,
                    edgecolor="white",
                    linewidth=1,
                    hatch=None if value is not None else "///",
                )
            )
        _label(ax, feature, name, value, spec, norm)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    bar = fig.colorbar(mappable, ax=ax, shrink=0.7, format=number_formatter(spec.number_format))
    bar.set_label(spec.metrics[0].name(), color=MUTED)
    bar.outline.set_visible(False)
    bar.ax.tick_params(labelsize=8, colors=TEXT)


def _label(ax: Any, feature: dict[str, Any], name: Any, value: float | None, spec: ChartSpec, norm: Any) -> None:
    ring = _rings(feature["geometry"])[0]
    x = sum(p[0] for p in ring[:-1]) / max(len(ring) - 1, 1)
    y = sum(p[1] for p in ring[:-1]) / max(len(ring) - 1, 1)
    dark = value is not None and norm(value) < 0.55  # cividis is dark at the low end: white text there
    text = f"{name}\n{format_number(value, spec.number_format) if value is not None else 'no data'}"
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5, color="white" if dark else TEXT)
