"""The metric library: metrics checked on the org's warehouse before they are saved; delete refused while used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from pipelines.charts.expression import expression_sql, parse_expression
from pipelines.charts.query import Builder
from pipelines.charts.run import table_columns, table_of
from pipelines.charts.spec import ChartInput, ChartSpec, MetricSpec
from pipelines.errors import PipelineError
from pipelines.warehouse.sqlclient import SqlWarehouse
from server.core.deps import OrgContext
from server.core.schemas import UsedIn
from server.core.security import SecretBox
from server.core.storage import OrgStorage
from server.metrics.errors import BadMetric, MetricInUse, MetricNameTaken
from server.metrics.repository import MetricsRepository
from server.metrics.schemas import MetricCheck, MetricCreate, MetricOut, MetricUpdate
from server.models import ChartRow, MetricRow
from server.models.base import utcnow


@contextmanager
def warehouse(session: Session, storage: OrgStorage, box: SecretBox, ctx: OrgContext) -> Iterator[SqlWarehouse]:
    """The org's warehouse client (its confined DuckDB connection, or Postgres/BigQuery)."""
    from server.warehouse.service import WarehouseService

    with WarehouseService(session, storage, box).client(ctx) as client:
        yield client  # type: ignore[misc]  # every warehouse client is a SqlWarehouse


class MetricService:
    def __init__(self, session: Session, storage: OrgStorage, box: SecretBox) -> None:
        self.session, self.storage, self.box = session, storage, box
        self._repo = MetricsRepository(session)

    def list_all(self, ctx: OrgContext) -> list[MetricOut]:
        rows = self._repo.list(ctx.org_id)
        uses = self.used_by_all(ctx)
        return [describe(r, uses.get(r.id, [])) for r in rows]

    def get(self, ctx: OrgContext, metric_id: str) -> MetricRow:
        return self._repo.get(ctx.org_id, metric_id)

    def describe_one(self, ctx: OrgContext, row: MetricRow) -> MetricOut:
        return describe(row, self.used_by_all(ctx).get(row.id, []))

    def check(self, ctx: OrgContext, body: MetricCreate) -> MetricCheck:
        """Compile the metric into `SELECT <metric> FROM <table> LIMIT 0` on the warehouse; refusals run nothing."""
        spec = _metric_spec(body.agg, body.column, body.expression)
        with warehouse(self.session, self.storage, self.box, ctx) as client:
            schema, table = table_of(ChartSpec(chart_type="number", input=body.input, metrics=[spec]))
            columns = table_columns(client, schema, table)
            relation = client.dialect.table(schema, table)
            builder = Builder(
                ChartSpec(chart_type="number", input=body.input, metrics=[spec]), client.dialect, relation, columns
            )
            if spec.expression:
                sql = expression_sql(
                    parse_expression(spec.expression, client.dialect.name, columns), client.dialect.name
                )
            else:
                sql = builder.metric(spec)
            try:
                client._fetch(f"SELECT {sql} FROM {relation} LIMIT 0", builder.where_params)
            except PipelineError as err:
                raise BadMetric(f"The warehouse cannot compute this metric: {err}") from err
        return MetricCheck(
            ok=True,
            kind="expression" if spec.expression else "aggregate",
            sql=sql,
            message="The metric reads well on your data.",
        )

    def create(self, ctx: OrgContext, body: MetricCreate) -> MetricRow:
        self._check_name(ctx, body.name, None)
        self.check(ctx, body)
        return self._repo.add(
            MetricRow(
                org_id=ctx.org_id,
                name=body.name,
                description=body.description,
                input=body.input.model_dump(by_alias=True, exclude_none=True),
                agg=None if body.expression else body.agg,
                column=None if body.expression else body.column,
                expression=body.expression,
            )
        )

    def update(self, ctx: OrgContext, metric_id: str, body: MetricUpdate) -> MetricRow:
        row = self.get(ctx, metric_id)
        if body.name is not None:
            self._check_name(ctx, body.name, row.id)
            row.name = body.name
        if body.description is not None:
            row.description = body.description
        if body.agg is not None or body.column is not None or body.expression is not None:
            expression = body.expression if body.expression is not None else None
            candidate = MetricCreate(
                name=row.name,
                input=ChartInput.model_validate(row.input),
                agg=body.agg or row.agg or "count",  # type: ignore[arg-type]
                column=body.column or row.column,
                expression=expression or None,
            )
            self.check(ctx, candidate)
            row.agg = None if candidate.expression else candidate.agg
            row.column = None if candidate.expression else candidate.column
            row.expression = candidate.expression
        row.updated_at = utcnow()
        self.session.flush()
        return row

    def delete(self, ctx: OrgContext, metric_id: str) -> None:
        row = self.get(ctx, metric_id)
        users = self.used_by_all(ctx).get(row.id, [])
        if users:
            names = ", ".join(f"{u.kind} '{u.name}'" for u in users)
            raise MetricInUse(f"'{row.name}' is used by {names}; remove it there first, then delete it.")
        self._repo.delete(row)

    def used_by_all(self, ctx: OrgContext) -> dict[str, list[UsedIn]]:
        """Each metric's users: the charts whose spec names it (KPIs and alerts add theirs later)."""
        found: dict[str, list[UsedIn]] = {}
        for chart in self._repo.charts(ctx.org_id):
            for metric_id in chart_metric_ids(chart):
                found.setdefault(metric_id, []).append(UsedIn(kind="chart", id=chart.id, name=chart.name))
        return found

    def _check_name(self, ctx: OrgContext, name: str, except_id: str | None) -> None:
        clash = self._repo.by_name(ctx.org_id, name)
        if clash is not None and clash.id != except_id:
            raise MetricNameTaken(f"A metric named '{name}' already exists; choose another name.")


def chart_metric_ids(chart: ChartRow) -> set[str]:
    return {m["metric_id"] for m in chart.spec.get("metrics", []) if m.get("metric_id")}


def _metric_spec(agg: str | None, column: str | None, expression: str | None) -> MetricSpec:
    try:
        return MetricSpec(agg=agg or "count", column=column, expression=expression)  # type: ignore[arg-type]
    except ValueError as err:
        raise BadMetric(f"The metric is not complete: {err}") from err


def resolved(spec: MetricSpec, row: MetricRow) -> MetricSpec:
    """A chart's reference to a library metric, filled with the metric's definition."""
    fill: dict[str, Any] = {"label": spec.label or row.name}
    if row.expression:
        fill.update(expression=row.expression, column=None)
    else:
        fill.update(agg=row.agg or "count", column=row.column)
    return spec.model_copy(update=fill)


def describe(row: MetricRow, used_by: list[UsedIn]) -> MetricOut:
    return MetricOut(
        id=row.id,
        name=row.name,
        description=row.description,
        input=ChartInput.model_validate(row.input),
        agg=row.agg,
        column=row.column,
        expression=row.expression,
        used_by=used_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
