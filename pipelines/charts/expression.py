"""Calculated metrics: one SQL expression over a table's columns, parsed and rebuilt, never pasted.

Refused before anything runs: statements, several statements, subqueries, table references, columns
qualified by a table, columns the table does not have, and functions that read files, settings or other
databases (the same list the recipe SQL step refuses). What is left is regenerated from the parse tree in
the warehouse's dialect with every column name quoted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from pipelines.errors import BadInputError
from pipelines.sqlscope import FORBIDDEN_FUNCTIONS
from pipelines.warehouse.base import ColumnInfo

# Shown settings or server details rather than data; refused on top of the shared list.
_HIDDEN = frozenset({"getvariable", "current_setting_names", "pragma_version", "version", "current_user", "user"})
_STATEMENTS = (exp.Query, exp.DML, exp.DDL, exp.Command, exp.Set, exp.Pragma, exp.Use, exp.Transaction, exp.Copy)
_SQLGLOT_DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "bigquery": "bigquery"}


class MetricExpressionError(BadInputError):
    """A calculated metric is not one safe expression over the table's columns."""


def parse_expression(text: str, dialect: str, columns: Sequence[ColumnInfo]) -> exp.Expr:
    """The expression's tree, or MetricExpressionError saying in plain words why it is refused."""
    tree = _single(text, _SQLGLOT_DIALECTS.get(dialect, dialect))
    known = {c.name.lower(): c.name for c in columns}
    for node in tree.walk():
        _check_node(node, known)
    if not any(isinstance(n, exp.AggFunc) for n in tree.walk()):
        raise MetricExpressionError(
            "A calculated metric must add up rows, for example SUM(amount) / COUNT(*)",
            hint="Wrap the columns in SUM, AVG, COUNT, MIN or MAX",
        )
    return tree


def expression_sql(tree: exp.Expr, dialect: str) -> str:
    """The checked tree as SQL of `dialect`, every column name quoted."""
    copy = tree.copy()
    for column in copy.find_all(exp.Column):
        column.this.set("quoted", True)
    return copy.sql(dialect=_SQLGLOT_DIALECTS.get(dialect, dialect))


def _single(text: str, dialect: str) -> exp.Expr:
    try:
        parsed = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except SqlglotError as err:
        first = str(err).splitlines()[0] if str(err) else "it does not parse"
        raise MetricExpressionError(
            f"The calculated metric is not an expression: {first}",
            hint="Write one expression such as SUM(paid) / COUNT(*), without SELECT or FROM",
        ) from err
    if len(parsed) != 1:
        raise MetricExpressionError(
            f"The calculated metric must be one expression; found {len(parsed)} statements",
            hint="Remove the semicolons and write one expression",
        )
    tree = parsed[0]
    if isinstance(tree, _STATEMENTS):
        raise MetricExpressionError(
            f"The calculated metric must be an expression, not a {tree.key.upper()} statement",
            hint="Write only what goes after SELECT, such as SUM(paid) / COUNT(*)",
        )
    return tree


def _check_node(node: exp.Expr, known: dict[str, str]) -> None:
    if isinstance(node, exp.Subquery | exp.Query | exp.Table | exp.From | exp.Join):
        raise MetricExpressionError(
            "A calculated metric cannot contain a query or read another table",
            hint="Use only the columns of the chart's table",
        )
    if isinstance(node, _STATEMENTS):
        raise MetricExpressionError(f"A calculated metric cannot contain {node.key.upper()}")
    if isinstance(node, exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        if FORBIDDEN_FUNCTIONS.match(name or "") or (name or "").lower() in _HIDDEN:
            raise MetricExpressionError(f"The function {name} is not allowed in a calculated metric")
    if isinstance(node, exp.Column):
        _check_column(node, known)


def _check_column(node: exp.Column, known: dict[str, str]) -> None:
    if node.table or node.db or node.catalog:
        raise MetricExpressionError(
            f"Write the column {node.name} without a table name in front of it",
            hint="A calculated metric reads only the chart's own table",
        )
    if isinstance(node.this, exp.Star):
        return
    if node.name.lower() not in known:
        raise MetricExpressionError(
            f"The table has no column '{node.name}'", hint="Check the spelling; pick a column from the list"
        )
    node.this.set("this", known[node.name.lower()])
