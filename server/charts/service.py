"""Charts: saved specs, their data (cached by data version), images, previews, drill-down, boundary files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pipelines.charts.cache import ChartCache
from pipelines.charts.query import ChartQueryError
from pipelines.charts.run import ChartResult, run_chart, table_columns, table_of
from pipelines.charts.spec import ChartInput, ChartSpec, FilterSpec, next_grain
from server.charts.errors import BadChart
from server.charts.repository import ChartsRepository
from server.charts.schemas import ChartCreate, ChartData, ChartOut, ChartUpdate, DataColumn, DrillRequest
from server.charts.usage import dashboards_using
from server.charts.versions import DataVersions
from server.core.bounded import BoundedCache
from server.core.deps import OrgContext
from server.core.security import SecretBox
from server.core.storage import OrgStorage
from server.metrics.repository import MetricsRepository
from server.metrics.service import resolved, warehouse
from server.models import ChartRow
from server.models.base import utcnow
from server.warehouse.service import plain


class ChartService:
    def __init__(
        self, session: Session, storage: OrgStorage, box: SecretBox, caches: BoundedCache[str, ChartCache]
    ) -> None:
        self.session, self.storage, self.box, self.caches = session, storage, box, caches
        self.repo = ChartsRepository(session)

    # --- saved charts ------------------------------------------------------------------------------
    def list_page(
        self, ctx: OrgContext, search: str | None, sort: str, limit: int, offset: int
    ) -> tuple[list[ChartOut], int]:
        rows, total = self.repo.page(ctx.org_id, search, sort, limit, offset)
        return self.describe(ctx, rows), total

    def get(self, ctx: OrgContext, chart_id: str) -> ChartRow:
        return self.repo.get(ctx.org_id, chart_id)

    def describe(self, ctx: OrgContext, rows: list[ChartRow]) -> list[ChartOut]:
        """Charts as the API shows them; a broken chart still lists, with its problem in plain words."""
        used = dashboards_using(self.session, ctx.org_id)
        problems = self._problems(ctx, rows)
        return [
            ChartOut(
                id=r.id,
                name=r.name,
                description=r.description,
                chart_type=r.chart_type,
                spec=ChartSpec.model_validate(r.spec),
                problem=problems.get(r.id),
                used_in_dashboards=used.get(r.id, []),
                created_by=r.created_by_id,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in rows
        ]

    def _problems(self, ctx: OrgContext, rows: list[ChartRow]) -> dict[str, str]:
        found: dict[str, str] = {}
        if not rows:
            return found
        with warehouse(self.session, self.storage, self.box, ctx) as client:
            columns: dict[tuple[str, str], Any] = {}
            for row in rows:
                spec = ChartSpec.model_validate(row.spec)
                key = table_of(spec)
                try:
                    if key not in columns:
                        columns[key] = table_columns(client, *key)
                    names = {c.name for c in columns[key]}
                except ChartQueryError as err:
                    found[row.id] = err.message
                    continue
                missing = [c for c in _columns_used(spec) if c not in names]
                if missing:
                    found[row.id] = f"The column '{missing[0]}' is no longer in {key[0]}.{key[1]}; edit the chart."
        return found

    def create(self, ctx: OrgContext, body: ChartCreate) -> ChartRow:
        spec = self.resolve(ctx, body.spec())
        return self.repo.add(
            ChartRow(
                org_id=ctx.org_id,
                name=body.name,
                description=body.description,
                chart_type=spec.chart_type,
                spec=body.spec().model_dump(mode="json", by_alias=True),
                created_by_id=ctx.user.id,
            )
        )

    def update(self, ctx: OrgContext, chart_id: str, body: ChartUpdate) -> ChartRow:
        row = self.get(ctx, chart_id)
        if body.name is not None:
            row.name = body.name
        if body.description is not None:
            row.description = body.description
        if body.spec is not None:
            self.resolve(ctx, body.spec)
            row.spec, row.chart_type = body.spec.model_dump(mode="json", by_alias=True), body.spec.chart_type
        row.updated_at = utcnow()
        self.session.flush()
        return row

    def duplicate(self, ctx: OrgContext, chart_id: str, name: str | None) -> ChartRow:
        row = self.get(ctx, chart_id)
        return self.repo.add(
            ChartRow(
                org_id=ctx.org_id,
                name=name or f"{row.name} (copy)",
                description=row.description,
                chart_type=row.chart_type,
                spec=dict(row.spec),
                created_by_id=ctx.user.id,
            )
        )

    def delete(self, ctx: OrgContext, chart_id: str) -> None:
        self.repo.delete(self.get(ctx, chart_id))

    def resolve(self, ctx: OrgContext, spec: ChartSpec) -> ChartSpec:
        """The spec with library metrics filled in (each must be defined on the chart's table)."""
        if not any(m.metric_id for m in spec.metrics):
            return spec
        repo = MetricsRepository(self.session)
        metrics = []
        for m in spec.metrics:
            if m.metric_id:
                row = repo.get(ctx.org_id, m.metric_id)
                if table_of(ChartSpec(chart_type="number", input=ChartInput.model_validate(row.input))) != table_of(
                    spec
                ):
                    raise BadChart(f"The metric '{row.name}' is defined on another table than this chart's.")
                m = resolved(m, row)
            metrics.append(m)
        return spec.model_copy(update={"metrics": metrics})

    # --- data --------------------------------------------------------------------------------------
    def data(
        self, ctx: OrgContext, spec: ChartSpec, limit: int | None = None, offset: int = 0
    ) -> tuple[ChartResult, bool]:
        """The chart's rows: from the cache while the tables it reads are unchanged, else one query."""
        spec = self.resolve(ctx, spec)
        versions = DataVersions(self.session, ctx.org_id, self.storage.org_dir(ctx.org.slug) / "dbt")
        schema, table = table_of(spec)
        key = (ctx.org_id, spec.key(), limit, offset, versions.of(schema, table))
        cache = self.caches.setdefault(ctx.org.slug, ChartCache())
        hit = cache.get(key)
        if hit is not None:
            return hit, True
        with warehouse(self.session, self.storage, self.box, ctx) as client:
            try:
                result = run_chart(client, spec, limit=limit, offset=offset)
            except ChartQueryError as err:
                raise BadChart(str(err)) from err
        cache.put(key, result)
        return result, False

    def image(self, ctx: OrgContext, spec: ChartSpec, fmt: str, width: int, height: int, offset: int = 0) -> bytes:
        """The chart drawn; kept beside its data, so an unchanged dashboard is served without drawing again."""
        from pipelines.charts.draw_table import rows_per_image
        from pipelines.charts.render import render

        paged = spec.chart_type == "table" and not spec.metrics
        limit, offset = (rows_per_image(height), offset) if paged else (None, 0)
        result, _ = self.data(ctx, spec, limit, offset)
        cache = self.caches.setdefault(ctx.org.slug, ChartCache())
        key = ("image", id(result), spec.model_dump_json(), fmt, width, height)
        hit = cache.get(key)
        if hit is not None and hit[0] is result:
            return bytes(hit[1])
        image = render(
            self.resolve(ctx, spec), result, fmt, width=width, height=height, geojson=self.geojson_for(ctx, spec)
        )
        cache.put(key, (result, image))
        return image

    def geojson_for(self, ctx: OrgContext, spec: ChartSpec) -> dict[str, Any] | None:
        if spec.chart_type != "map" or spec.map is None:
            return None
        from server.charts.geojson import load

        return load(self, ctx, spec.map.geojson_id)

    def drill(self, ctx: OrgContext, chart_id: str, body: DrillRequest) -> ChartSpec:
        """The spec of the drill: the rows behind one category/bucket, or that bucket at the next finer grain."""
        spec = ChartSpec.model_validate(self.get(ctx, chart_id).spec)
        if not spec.dimensions:
            raise BadChart("This chart has no categories to drill into.")
        filters = list(spec.filters) + _bucket_filters(spec, spec.dimensions[0], body.value)
        if body.series is not None and len(spec.dimensions) > 1:
            filters.append(FilterSpec(column=spec.dimensions[1], op="eq", value=body.series))
        if body.to == "grain":
            grain = next_grain(spec.time_grain)
            if grain is None:
                raise BadChart("This chart is not grouped by a time grain finer than a day; drill to its rows instead.")
            return spec.model_copy(update={"filters": filters, "time_grain": grain})
        return ChartSpec(
            chart_type="table",
            input=spec.input,
            filters=filters,
            number_format=spec.number_format,
            title=f"Rows behind {body.value}",
        )


def _columns_used(spec: ChartSpec) -> list[str]:
    names = [*spec.dimensions, *spec.pivot_columns, *(f.column for f in spec.filters)]
    names += [m.column for m in spec.metrics if m.column]
    return names + ([spec.time_column] if spec.time_column else [])


def _bucket_filters(spec: ChartSpec, column: str, value: Any) -> list[FilterSpec]:
    if value is None:
        return [FilterSpec(column=column, op="is_null")]
    if spec.time_grain is None:
        return [FilterSpec(column=column, op="eq", value=value)]
    try:
        start = datetime.fromisoformat(str(value)).date()
    except ValueError as err:
        raise BadChart(
            f"'{value}' is not the start of a {spec.time_grain}; send it as a date like 2024-03-01."
        ) from err
    end = _after(start, spec.time_grain)
    return [
        FilterSpec(column=column, op="ge", value=start.isoformat()),
        FilterSpec(column=column, op="lt", value=end.isoformat()),
    ]


def _after(start: date, grain: str) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    total = start.month - 1 + months
    return date(start.year + total // 12, total % 12 + 1, 1)


def chart_data(result: ChartResult, cached: bool) -> ChartData:
    """The API shape of a result (values JSON-friendly)."""
    return ChartData(
        columns=[DataColumn(name=c.name, role=c.role, type=c.type) for c in result.columns],
        rows=plain(result.rows),
        total=result.total,
        limit=result.page[0] if result.page else None,
        offset=result.page[1] if result.page else 0,
        cached=cached,
        sql=result.sql,
        change=result.change,
    )
