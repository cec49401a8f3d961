"""Queries for charts and boundary files, scoped to one org through server.core.tenancy."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.charts.errors import ChartNotFound, GeoJsonNotFound
from server.core.tenancy import get_scoped, scoped
from server.models import ChartRow, GeoJsonRow

SORTS = {
    "name": ChartRow.name,
    "updated": ChartRow.updated_at,
    "created": ChartRow.created_at,
    "type": ChartRow.chart_type,
}


class ChartsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, org_id: str, search: str | None, sort: str, limit: int, offset: int) -> tuple[list[ChartRow], int]:
        stmt = scoped(select(ChartRow), ChartRow, org_id)
        if search:
            like = f"%{search.lower()}%"
            stmt = stmt.where(or_(func.lower(ChartRow.name).like(like), func.lower(ChartRow.description).like(like)))
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        column = SORTS[sort.lstrip("-")]
        order = column.desc() if sort.startswith("-") else column.asc()
        rows = self.session.scalars(stmt.order_by(order, ChartRow.id).limit(limit).offset(offset))
        return list(rows), int(total)

    def all(self, org_id: str) -> list[ChartRow]:
        return list(self.session.scalars(scoped(select(ChartRow), ChartRow, org_id)))

    def get(self, org_id: str, chart_id: str) -> ChartRow:
        return get_scoped(self.session, ChartRow, chart_id, org_id, ChartNotFound)

    def add(self, row: ChartRow) -> ChartRow:
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: ChartRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def geojson(self, org_id: str, geojson_id: str) -> GeoJsonRow:
        return get_scoped(self.session, GeoJsonRow, geojson_id, org_id, GeoJsonNotFound)

    def geojsons(self, org_id: str) -> list[GeoJsonRow]:
        stmt = scoped(select(GeoJsonRow), GeoJsonRow, org_id).order_by(GeoJsonRow.name)
        return list(self.session.scalars(stmt))

    def add_geojson(self, row: GeoJsonRow) -> GeoJsonRow:
        self.session.add(row)
        self.session.flush()
        return row
