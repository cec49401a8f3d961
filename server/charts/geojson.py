"""Boundary files for map charts: the sample shipped with the app and the org's uploads."""

from __future__ import annotations

import json
import uuid
from typing import Any, Protocol

from pipelines.charts.geo import BadGeoJson, parse_geojson, properties, sample
from server.charts.errors import BadChart
from server.charts.schemas import GeoJsonOut
from server.core.deps import OrgContext
from server.models import GeoJsonRow

SAMPLE_ID = "sample"


class ChartService(Protocol):
    """What these functions use of the charts service (a protocol, so this module never imports it)."""

    storage: Any
    repo: Any


def new_geojson_id() -> str:
    return uuid.uuid4().hex


def dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _path(service: ChartService, ctx: OrgContext, geojson_id: str) -> Any:
    return service.storage.subdir(ctx.org.slug, "uploads") / "geojson" / f"{geojson_id}.geojson"


def load(service: ChartService, ctx: OrgContext, geojson_id: str) -> dict[str, Any]:
    if geojson_id == SAMPLE_ID:
        return sample()
    row = service.repo.geojson(ctx.org_id, geojson_id)
    return parse_geojson(_path(service, ctx, row.id).read_bytes())


def upload(service: ChartService, ctx: OrgContext, name: str, data: bytes) -> GeoJsonOut:
    try:
        doc = parse_geojson(data)
    except BadGeoJson as err:
        raise BadChart(str(err)) from err
    props = properties(doc)
    if not props:
        raise BadChart("No area in the boundary file has a name or code to match; add one and upload it again.")
    row = GeoJsonRow(id=new_geojson_id(), org_id=ctx.org_id, name=name, features=len(doc["features"]), properties=props)
    path = _path(service, ctx, row.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(doc))
    service.repo.add_geojson(row)
    return describe(row)


def listing(service: ChartService, ctx: OrgContext) -> list[GeoJsonOut]:
    doc = sample()
    shipped = GeoJsonOut(
        id=SAMPLE_ID,
        name="Sample districts (made up)",
        features=len(doc["features"]),
        properties=list(properties(doc)),
        sample_values=properties(doc),
        builtin=True,
        created_at=None,
    )
    return [shipped, *(describe(r) for r in service.repo.geojsons(ctx.org_id))]


def describe(row: GeoJsonRow) -> GeoJsonOut:
    return GeoJsonOut(
        id=row.id,
        name=row.name,
        features=row.features,
        properties=list(row.properties),
        sample_values=row.properties,
        builtin=False,
        created_at=row.created_at,
    )
