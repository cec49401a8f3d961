"""Shared vocabulary of the recipe engine: column types, inputs, operands and errors."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipelines.errors import BadInputError
from pipelines.loading.types import canonical, is_integer, is_numeric, is_temporal, widen

Scalar = str | int | float | bool | None
Dialect = Literal["duckdb", "postgres", "bigquery"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "postgres", "bigquery")


class ColumnType(BaseModel):
    """A column and its DuckDB logical type name (VARCHAR, BIGINT, DOUBLE, DATE, ...)."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class TableInput(_Strict):
    """A warehouse table, e.g. a raw table loaded by a source; dbt `source()`."""

    kind: Literal["table"] = "table"
    schema_: str = Field(alias="schema", min_length=1)
    table: str = Field(min_length=1)

    @property
    def key(self) -> str:
        return f"{self.schema_}.{self.table}"

    @property
    def label(self) -> str:
        return self.key


class ModelInput(_Strict):
    """Another model (a saved recipe or SQL model); dbt `ref()`."""

    kind: Literal["model"] = "model"
    model: str = Field(min_length=1)

    @property
    def key(self) -> str:
        return self.model

    @property
    def label(self) -> str:
        return self.model


RecipeInput = Annotated[TableInput | ModelInput, Field(discriminator="kind")]


class ColumnOperand(_Strict):
    """An operand that reads a column."""

    column: str


class ValueOperand(_Strict):
    """An operand that is a constant (None is NULL)."""

    value: Scalar


Operand = ColumnOperand | ValueOperand


class OrderBy(_Strict):
    """A sort key; nulls always sort last so results agree across warehouses."""

    column: str
    descending: bool = False


class RecipeError(BadInputError):
    """A recipe cannot compile or run; names the step (1-based) and column when known."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        step: int | None = None,
        step_id: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.step = step
        self.step_id = step_id
        self.column = column


class CastFailed(RecipeError):
    """A strict cast or conversion would fail on some rows."""

    def __init__(self, message: str, *, failed_rows: int, examples: list[str], **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.failed_rows = failed_rows
        self.examples = examples


class StepConfigError(Exception):
    """Raised by an operation when its config does not fit the input; the engine adds the step number."""

    def __init__(self, message: str, *, column: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


class MissingColumn(StepConfigError):
    """A step reads a column that the previous step does not output."""


def kind_of(type_name: str) -> str:
    """A portable family for a type: text, integer, number, temporal, boolean, json, other, or unknown
    (a raw SQL step's expression whose type sqlglot cannot tell; such columns are not type-checked)."""
    name = canonical(type_name)
    if name in {"VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR"} or name.startswith("VARCHAR("):
        return "text"
    if is_integer(name):
        return "integer"
    if is_numeric(name):
        return "number"
    if is_temporal(name):
        return "temporal"
    if name in {"BOOLEAN", "BOOL"}:
        return "boolean"
    if name == "JSON":
        return "json"
    return "unknown" if name == "UNKNOWN" else "other"


def common_type(types: list[str]) -> str:
    """The narrowest DuckDB type that holds values of every given type (NULL literals are ignored)."""
    result = "NULL"
    for type_name in types:
        result = widen(result, type_name)
    return "VARCHAR" if result == "NULL" else result


def comparable(left: str, right: str) -> bool:
    """Whether two column types can be compared without a cast (same family, numbers together)."""
    a, b = kind_of(left), kind_of(right)
    numeric = {"integer", "number"}
    return a == b or (a in numeric and b in numeric)


def literal_type(value: Scalar) -> str:
    """The DuckDB type a JSON constant becomes."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    return "VARCHAR"


def find_column(columns: list[ColumnType], name: str) -> ColumnType:
    """The column called `name`, or MissingColumn."""
    for column in columns:
        if column.name == name:
            return column
    raise MissingColumn(f"column '{name}' does not exist at this point", column=name)
