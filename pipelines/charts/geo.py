"""GeoJSON boundary files for map charts: read, validated, and matched against a chart's values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.errors import BadInputError

SAMPLE = Path(__file__).parent / "assets" / "sample_districts.geojson"
MAX_BYTES = 20 * 1024 * 1024
_GEOMETRIES = {"Polygon", "MultiPolygon"}


class BadGeoJson(BadInputError):
    """The file is not GeoJSON boundaries a map can draw, or none of its names match the chart."""


def parse_geojson(data: bytes) -> dict[str, Any]:
    """A FeatureCollection of polygons with properties, or BadGeoJson saying what is wrong in plain words."""
    if len(data) > MAX_BYTES:
        raise BadGeoJson("The boundary file is larger than 20 MB", hint="Simplify the shapes and upload it again")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadGeoJson(
            "The file is not GeoJSON: it cannot be read as JSON text",
            hint="Export the boundaries as GeoJSON (.geojson) from your mapping tool",
        ) from err
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise BadGeoJson(
            "The file is not a GeoJSON FeatureCollection",
            hint="Export the boundaries as GeoJSON (.geojson) with one feature per area",
        )
    features = [f for f in doc["features"] if _is_area(f)]
    if not features:
        raise BadGeoJson("The GeoJSON holds no areas (polygons) with names to match", hint="Check the export")
    return {"type": "FeatureCollection", "features": features}


def _is_area(feature: Any) -> bool:
    return (
        isinstance(feature, dict)
        and isinstance(feature.get("geometry"), dict)
        and feature["geometry"].get("type") in _GEOMETRIES
        and isinstance(feature.get("properties"), dict)
    )


def properties(doc: dict[str, Any], samples: int = 5) -> dict[str, list[str]]:
    """Each text property of the features with a few of its values (what a map can match on)."""
    found: dict[str, list[str]] = {}
    for feature in doc["features"]:
        for key, value in feature["properties"].items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                values = found.setdefault(key, [])
                if len(values) < samples and str(value) not in values:
                    values.append(str(value))
    return found


def key_of(value: Any) -> str:
    """How names are compared: trimmed, case-insensitive."""
    return str(value).strip().casefold()


def check_key(doc: dict[str, Any], key_property: str, values: list[Any] | None = None) -> None:
    """The property exists; when chart values are given, at least one matches an area."""
    keys = {key_of(f["properties"].get(key_property)) for f in doc["features"] if key_property in f["properties"]}
    if not keys:
        known = ", ".join(sorted(properties(doc))) or "none"
        raise BadGeoJson(
            f"No area in the boundary file has the property '{key_property}'",
            hint=f"Choose one of: {known}",
        )
    if values is not None and values and not keys & {key_of(v) for v in values if v is not None}:
        example = ", ".join(sorted(keys)[:3])
        raise BadGeoJson(
            f"None of the chart's values match the boundary file's '{key_property}' (for example {example})",
            hint="Pick the column holding the same names as the map, or another property",
        )


def sample() -> dict[str, Any]:
    """The boundary file shipped with the app (a few made-up districts)."""
    return parse_geojson(SAMPLE.read_bytes())
