"""Row conditions shared by the where filter, facet filter and case-when: `column operator value`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from sqlglot import exp

from pipelines.recipes.core import ColumnType, Scalar, StepConfigError, comparable, find_column, kind_of
from pipelines.recipes.ops.base import OpConfig, quote_list
from pipelines.recipes.sqlkit import and_all, cast, col, fn, lit, typed_lit

Operator = Literal[
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not_in",
    "is_null",
    "is_not_null",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "between",
]
_COMPARE = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_TEXT_OPS = {"contains", "not_contains", "starts_with", "ends_with"}
_WORDS = {
    "=": "is",
    "!=": "is not",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "ends_with": "ends with",
}


class Condition(OpConfig):
    """`column operator value`; `value_column` compares with another column instead of a constant."""

    column: str
    operator: Operator
    value: Scalar | list[Scalar] = None
    value2: Scalar = Field(default=None, description="upper bound for 'between'")
    value_column: str | None = None

    @model_validator(mode="after")
    def _fits_operator(self) -> Condition:
        listed = isinstance(self.value, list)
        if self.operator in {"in", "not_in"} and not listed:
            raise ValueError(f"'{self.operator}' needs a list of values")
        if self.operator not in {"in", "not_in"} and listed:
            raise ValueError(f"'{self.operator}' takes one value, not a list")
        if self.operator == "between" and (self.value is None or self.value2 is None):
            raise ValueError("'between' needs value and value2")
        if self.operator in _TEXT_OPS and self.value_column is None and not isinstance(self.value, str):
            raise ValueError(f"'{self.operator}' needs a text value")
        return self


def condition_columns(condition: Condition) -> list[str]:
    return [condition.column] + ([condition.value_column] if condition.value_column else [])


def describe_condition(condition: Condition) -> str:
    """`district is 'North'`, `age between 10 and 20`, `name is empty`."""
    c, op = condition.column, condition.operator
    if op == "is_null":
        return f"{c} is empty"
    if op == "is_not_null":
        return f"{c} is not empty"
    if op == "between":
        return f"{c} is between {condition.value} and {condition.value2}"
    if op in {"in", "not_in"}:
        values = [str(v) for v in condition.value] if isinstance(condition.value, list) else []
        return f"{c} {'is one of' if op == 'in' else 'is none of'} {quote_list(values)}"
    rhs = condition.value_column if condition.value_column else repr(condition.value)
    return f"{c} {_WORDS[op]} {rhs}"


def build_condition(condition: Condition, columns: list[ColumnType]) -> exp.Expr:
    """The boolean SQL expression of a condition (identifiers and values quoted)."""
    column = find_column(columns, condition.column)
    target: exp.Expr = col(column.name)
    op = condition.operator
    if op in {"is_null", "is_not_null"}:
        test = exp.Is(this=target, expression=exp.Null())
        return test if op == "is_null" else exp.Not(this=test)
    if op in {"in", "not_in"}:
        return _membership(target, column.type, list(condition.value or []), negate=op == "not_in")  # type: ignore[arg-type]
    if op == "between":
        low, high = typed_lit(condition.value, column.type), typed_lit(condition.value2, column.type)  # type: ignore[arg-type]
        return exp.Between(this=target, low=low, high=high)
    rhs = _right_side(condition, column, columns)
    if op in _TEXT_OPS:
        return _text_test(target, column.type, rhs, condition, op)
    return _COMPARE[op](this=target, expression=rhs)


def _right_side(condition: Condition, column: ColumnType, columns: list[ColumnType]) -> exp.Expr:
    if condition.value_column:
        other = find_column(columns, condition.value_column)
        if condition.operator not in _TEXT_OPS and not comparable(other.type, column.type):
            raise StepConfigError(
                f"cannot compare {column.name} ({column.type}) with {other.name} ({other.type})",
                column=other.name,
                hint="cast one of them first so both have the same type",
            )
        return col(other.name)
    if condition.operator in _TEXT_OPS:
        return lit(condition.value)  # type: ignore[arg-type]
    return typed_lit(condition.value, column.type)  # type: ignore[arg-type]


def _membership(target: exp.Expr, type_name: str, values: list[Scalar], *, negate: bool) -> exp.Expr:
    present = [typed_lit(v, type_name) for v in values if v is not None]
    parts: list[exp.Expr] = [exp.In(this=target, expressions=present)] if present else []
    if any(v is None for v in values):
        parts.append(exp.Is(this=target.copy(), expression=exp.Null()))
    test = and_all(parts, "any") if parts else exp.false()
    if not negate:
        return test
    # NOT IN must keep rows whose value is NULL unless NULL was listed: SQL's NOT IN would drop them.
    keep_null = not any(v is None for v in values)
    negated = exp.Not(this=exp.Paren(this=exp.Coalesce(this=test, expressions=[exp.false()])))
    return negated if keep_null else exp.and_(negated, exp.Not(this=exp.Is(this=target.copy(), expression=exp.Null())))


def _text_test(target: exp.Expr, type_name: str, rhs: exp.Expr, condition: Condition, op: str) -> exp.Expr:
    text = target if kind_of(type_name) == "text" else cast(target, "VARCHAR")
    if op in {"contains", "not_contains"}:
        found = exp.GT(this=fn("STRPOS", text, rhs), expression=lit(0))
        return found if op == "contains" else exp.Not(this=found)
    if condition.value_column:
        length: exp.Expr = exp.Length(this=rhs.copy())
    else:
        length = lit(len(str(condition.value)))
    side = fn("LEFT" if op == "starts_with" else "RIGHT", text, length)
    return exp.EQ(this=side, expression=rhs)


class WhereClauses(OpConfig):
    """Conditions joined by AND (`match="all"`) or OR (`"any"`)."""

    clauses: list[Condition] = Field(min_length=1)
    match: Literal["all", "any"] = "all"


def build_clauses(config: WhereClauses, columns: list[ColumnType]) -> exp.Expr:
    return and_all([build_condition(c, columns) for c in config.clauses], config.match)


def describe_clauses(config: WhereClauses) -> str:
    joiner = " and " if config.match == "all" else " or "
    return joiner.join(describe_condition(c) for c in config.clauses)
