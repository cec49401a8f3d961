"""The operation registry: each operation is a typed config plus functions that describe it, propagate
the schema and build its SELECT over the previous step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlglot import exp

from pipelines.recipes.core import ColumnType, Dialect, ModelInput, StepConfigError, TableInput, find_column, kind_of
from pipelines.recipes.sqlkit import alias, col


class OpConfig(BaseModel):
    """Base of every operation's config: unknown keys are rejected so typos surface."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


C = TypeVar("C", bound=OpConfig)
Others = Mapping[str, list[ColumnType]]


@dataclass
class StepContext:
    """What a step's SQL builder sees: the previous relation, its columns and the other inputs."""

    dialect: Dialect
    source: exp.Expr
    columns: list[ColumnType]
    others: Others = field(default_factory=dict)
    relation: Callable[[TableInput | ModelInput], exp.Expr] | None = None

    def source_as(self, name: str) -> exp.Expr:
        """The previous relation under a (generated) alias."""
        return exp.alias_(self.source.copy(), name, table=True)

    def other(self, source: TableInput | ModelInput) -> exp.Expr:
        """The relation of a right-hand input (join/union)."""
        if self.relation is None:
            raise StepConfigError(f"no relation given for '{source.label}'")
        return self.relation(source)

    def type_of(self, name: str) -> str:
        return find_column(self.columns, name).type


@dataclass
class Check:
    """Rows a step cannot convert: `failed` is TRUE for such a row of the step's input (DuckDB SQL)."""

    column: str
    value: exp.Expr
    failed: exp.Expr
    strict: bool
    what: str


def _no_checks(config: Any, ctx: StepContext) -> list[Check]:
    return []


def _no_inputs(config: Any) -> list[TableInput | ModelInput]:
    return []


class OpSpec(Generic[C]):
    """One operation: its config model and the functions the engine and the UI call."""

    def __init__(
        self,
        op: str,
        name: str,
        family: str,
        config_model: type[C],
        *,
        describe: Callable[[C], str],
        output_columns: Callable[[list[ColumnType], C, Others], list[ColumnType]],
        to_sql: Callable[[C, StepContext], exp.Query],
        columns_used: Callable[[C], list[str]],
        checks: Callable[[C, StepContext], list[Check]] = _no_checks,
        inputs: Callable[[C], list[TableInput | ModelInput]] = _no_inputs,
    ) -> None:
        self.op, self.name, self.family, self.config_model = op, name, family, config_model
        self._describe, self._output, self._to_sql = describe, output_columns, to_sql
        self._used, self._checks, self._inputs = columns_used, checks, inputs

    def parse(self, config: Mapping[str, Any] | BaseModel) -> C:
        """The validated config (pydantic ValidationError when it does not fit)."""
        if isinstance(config, self.config_model):
            return config
        data = config.model_dump() if isinstance(config, BaseModel) else config
        return self.config_model.model_validate(data)

    def config_schema(self) -> dict[str, Any]:
        """JSON schema of the config, for the UI's step editor."""
        return self.config_model.model_json_schema(by_alias=True)

    def describe(self, config: Mapping[str, Any] | C) -> str:
        return self._describe(self.parse(config))

    def output_columns(
        self, input_columns: list[ColumnType], config: Mapping[str, Any] | C, others: Others | None = None
    ) -> list[ColumnType]:
        """Columns after this step, computed from the input columns without touching data."""
        parsed = self.parse(config)
        for name in self._used(parsed):
            find_column(input_columns, name)
        return self._output(list(input_columns), parsed, others or {})

    def columns_used(self, config: Mapping[str, Any] | C) -> list[str]:
        """Input columns the step reads (for dependency checks)."""
        return list(dict.fromkeys(self._used(self.parse(config))))

    def to_sql(self, config: Mapping[str, Any] | C, ctx: StepContext) -> exp.Query:
        return self._to_sql(self.parse(config), ctx)

    def checks(self, config: Mapping[str, Any] | C, ctx: StepContext) -> list[Check]:
        return self._checks(self.parse(config), ctx)

    def inputs(self, config: Mapping[str, Any] | C) -> list[TableInput | ModelInput]:
        """Other tables/models the step reads (join, union)."""
        return self._inputs(self.parse(config))


OPERATIONS: dict[str, OpSpec[Any]] = {}


def register(spec: OpSpec[Any]) -> OpSpec[Any]:
    """Add an operation to the registry (module import time)."""
    if spec.op in OPERATIONS:
        raise ValueError(f"operation '{spec.op}' registered twice")
    OPERATIONS[spec.op] = spec
    return spec


def put_column(columns: list[ColumnType], name: str, type_name: str) -> list[ColumnType]:
    """Columns with `name` set to `type_name`: replaced in place when it exists, else appended."""
    new = ColumnType(name=name, type=type_name)
    if any(c.name == name for c in columns):
        return [new if c.name == name else c for c in columns]
    return [*columns, new]


def put_expression(columns: list[ColumnType], name: str, expression: exp.Expr) -> list[exp.Expr]:
    """The SELECT list matching `put_column`: every column, with `name` computed by `expression`."""
    return put_expressions(columns, {name: expression})


def put_expressions(columns: list[ColumnType], computed: dict[str, exp.Expr]) -> list[exp.Expr]:
    """Every column, those in `computed` replaced in place; computed names that are new come last."""
    items: list[exp.Expr] = [alias(computed[c.name], c.name) if c.name in computed else col(c.name) for c in columns]
    existing = {c.name for c in columns}
    items.extend(alias(e, n) for n, e in computed.items() if n not in existing)
    return items


def require_text(columns: list[ColumnType], name: str, action: str) -> None:
    """A text-only operation on a non-text column is a config error with a hint to cast first."""
    column = find_column(columns, name)
    if kind_of(column.type) not in {"text", "json", "unknown"}:
        raise StepConfigError(
            f"{action} works on text, but '{name}' is {column.type}",
            column=name,
            hint=f"add a 'Change column type' step turning '{name}' into text first",
        )


def quote_list(values: list[str], limit: int = 3) -> str:
    """`'a', 'b' and 2 more` for descriptions."""
    shown = ", ".join(f"'{v}'" for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def names(values: list[str], limit: int = 3) -> str:
    """`a, b and c` / `a, b, c and 2 more` for descriptions."""
    if len(values) <= 1:
        return "".join(values)
    if len(values) <= limit:
        return ", ".join(values[:-1]) + " and " + values[-1]
    return ", ".join(values[:limit]) + f" and {len(values) - limit} more"
