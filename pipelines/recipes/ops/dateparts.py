"""Date part: the year, quarter, month, week, day or weekday of a date (as a number or a name)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlglot import exp

from pipelines.recipes.core import ColumnType, Dialect, StepConfigError, kind_of
from pipelines.recipes.ops.base import OpConfig, OpSpec, Others, StepContext, put_column, put_expression, register
from pipelines.recipes.sqlkit import cast, select, template

Part = Literal["year", "quarter", "month", "month_name", "week", "day", "weekday", "day_name"]
LABELS = {
    "year": "year",
    "quarter": "quarter (1 to 4)",
    "month": "month (1 to 12)",
    "month_name": "month name",
    "week": "week of the year (ISO, 1 to 53)",
    "day": "day of the month",
    "weekday": "day of the week (Monday = 1)",
    "day_name": "day name",
}
_NAMES = {"month_name", "day_name"}
# Numbers the same in every warehouse: ISO weeks, and Monday = 1 … Sunday = 7.
_SQL: dict[Dialect, dict[str, str]] = {
    "duckdb": {
        "year": "YEAR(__v)",
        "quarter": "QUARTER(__v)",
        "month": "MONTH(__v)",
        "week": "WEEK(__v)",
        "day": "DAY(__v)",
        "weekday": "ISODOW(__v)",
        "month_name": "MONTHNAME(__v)",
        "day_name": "DAYNAME(__v)",
    },
    "postgres": {
        "year": "EXTRACT(YEAR FROM __v)",
        "quarter": "EXTRACT(QUARTER FROM __v)",
        "month": "EXTRACT(MONTH FROM __v)",
        "week": "EXTRACT(WEEK FROM __v)",
        "day": "EXTRACT(DAY FROM __v)",
        "weekday": "EXTRACT(ISODOW FROM __v)",
        "month_name": "TO_CHAR(__v, 'FMMonth')",
        "day_name": "TO_CHAR(__v, 'FMDay')",
    },
    "bigquery": {
        "year": "EXTRACT(YEAR FROM __v)",
        "quarter": "EXTRACT(QUARTER FROM __v)",
        "month": "EXTRACT(MONTH FROM __v)",
        "week": "EXTRACT(ISOWEEK FROM __v)",
        "day": "EXTRACT(DAY FROM __v)",
        "weekday": "MOD(EXTRACT(DAYOFWEEK FROM __v) + 5, 7) + 1",
        "month_name": "FORMAT_DATE('%B', DATE(__v))",
        "day_name": "FORMAT_DATE('%A', DATE(__v))",
    },
}


class DatePartConfig(OpConfig):
    column: str
    part: Part = Field("year", description="year, quarter, month, month_name, week, day, weekday or day_name")
    output_column: str | None = Field(None, description="default: the column's name and the part, e.g. visit_year")

    @property
    def target(self) -> str:
        return self.output_column or f"{self.column}_{self.part}"


def _require_date(columns: list[ColumnType], name: str) -> None:
    type_name = next(c.type for c in columns if c.name == name)
    if kind_of(type_name) != "temporal":
        raise StepConfigError(
            f"a date part needs a date, but '{name}' is {type_name}",
            column=name,
            hint=f"add a 'Parse dates' step turning '{name}' into dates first",
        )


def _output(columns: list[ColumnType], config: DatePartConfig, others: Others) -> list[ColumnType]:
    _require_date(columns, config.column)
    return put_column(columns, config.target, "VARCHAR" if config.part in _NAMES else "BIGINT")


def part_expression(dialect: Dialect, value: exp.Expr, part: str) -> exp.Expr:
    """SQL for one date part of `value` in `dialect` (numbers as BIGINT, names as text)."""
    built = template(dialect, _SQL[dialect][part], v=value)
    return cast(built, "VARCHAR" if part in _NAMES else "BIGINT")


def _sql(config: DatePartConfig, ctx: StepContext) -> exp.Query:
    _require_date(ctx.columns, config.column)
    value = part_expression(ctx.dialect, exp.column(config.column, quoted=True), config.part)
    return select(put_expression(ctx.columns, config.target, value), ctx.source)


def _describe(c: DatePartConfig) -> str:
    return f"Take the {LABELS[c.part]} of {c.column} into {c.target}"


register(
    OpSpec(
        "date_part",
        "Date part",
        "columns",
        DatePartConfig,
        describe=_describe,
        output_columns=_output,
        to_sql=_sql,
        columns_used=lambda c: [c.column],
    )
)
