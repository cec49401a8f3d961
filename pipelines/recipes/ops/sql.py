"""Raw SQL step: one SELECT over the previous step, which it names `_prev` (or `{{prev}}`).

The text is parsed with sqlglot and rejected unless it is a single read-only SELECT whose only
table is the previous step (or a CTE it defines itself): no other schema or table, no file or
network readers, no writes. It is then transpiled to the target warehouse's dialect.
"""

from __future__ import annotations

import re

import sqlglot
from pydantic import Field, field_validator
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from pipelines.recipes.core import ColumnType, Dialect, StepConfigError
from pipelines.recipes.ops.base import OpConfig, OpSpec, Others, StepContext, register
from pipelines.sqlscope import FORBIDDEN_FUNCTIONS, UnresolvableQuery, real_tables

PREV = "_prev"
_PREV_JINJA = re.compile(r"\{\{\s*prev\s*\}\}", re.IGNORECASE)
_FORBIDDEN_NODES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Into,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.Attach,
    exp.Detach,
    exp.Transaction,
)
_FORBIDDEN_FUNCTIONS = FORBIDDEN_FUNCTIONS  # shared with chart metrics (pipelines/sqlscope.py)
_TYPES = {
    "TEXT": "VARCHAR",
    "VARCHAR": "VARCHAR",
    "INT": "INTEGER",
    "INT128": "HUGEINT",
    "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
    "FLOAT": "FLOAT",
    "REAL": "FLOAT",
}


class RawSqlConfig(OpConfig):
    sql: str = Field(min_length=1, description="a SELECT over _prev, e.g. SELECT *, a + b AS c FROM _prev")
    dialect: Dialect = Field("duckdb", description="the SQL dialect the statement is written in")

    @field_validator("sql")
    @classmethod
    def _single_select(cls, value: str) -> str:
        try:
            parse_select(value, "duckdb")  # structural check; compiling re-checks with the config's dialect
        except StepConfigError as err:
            raise ValueError(err.message) from err
        return value


def parse_select(text: str, dialect: Dialect) -> exp.Query:
    """The statement as a sqlglot tree, or StepConfigError saying why it is not allowed."""
    try:
        statements = [s for s in sqlglot.parse(_PREV_JINJA.sub(PREV, text), read=dialect) if s is not None]
    except ParseError as err:
        raise StepConfigError(f"the SQL does not parse: {_first_line(err)}") from err
    if len(statements) != 1:
        raise StepConfigError(f"write exactly one SELECT statement (found {len(statements)})")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.Union):
        raise StepConfigError(f"only a SELECT is allowed here, not {tree.key.upper()}")
    _check_tree(tree)
    return tree


def _check_tree(tree: exp.Expr) -> None:
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise StepConfigError(f"{node.key.upper()} is not allowed in a SQL step; write a plain SELECT")
        if isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if _FORBIDDEN_FUNCTIONS.match(name or ""):
                raise StepConfigError(f"function {name} is not allowed in a SQL step")
    try:
        tables = real_tables(tree)  # by scope: a CTE defined in a subquery does not cover the outer FROM
    except UnresolvableQuery as err:
        raise StepConfigError(f"the SQL's table names could not be resolved: {err}") from err
    for table in tables:
        _check_table(table)


def _check_table(node: exp.Table) -> None:
    if not isinstance(node.this, exp.Identifier):
        raise StepConfigError(f"only {PREV} may be read here, not {node.this.sql()}")
    if node.args.get("db") or node.args.get("catalog"):
        raise StepConfigError(
            f"the SQL reads {node.sql()}, another schema or table; a SQL step may only read {PREV}",
            hint=f"refer to the previous step as {PREV}; add a join step to bring in another table",
        )
    if node.name != PREV:
        raise StepConfigError(
            f"the SQL reads table '{node.name}'; a SQL step may only read {PREV}",
            hint=f"refer to the previous step as {PREV}; add a join step to bring in another table",
        )


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _duckdb_type(data_type: exp.DataType | None) -> str:
    if data_type is None or data_type.this == exp.DataType.Type.UNKNOWN:
        return "UNKNOWN"
    text = data_type.sql("duckdb").upper()
    return _TYPES.get(text, text.replace(", ", ","))


def _output(columns: list[ColumnType], config: RawSqlConfig, others: Others) -> list[ColumnType]:
    tree = parse_select(config.sql, config.dialect)
    for select_ in tree.selects:
        if not isinstance(select_, exp.Alias | exp.Column | exp.Star):
            raise StepConfigError(f"give `{select_.sql(config.dialect)}` a name with AS")
    schema = MappingSchema({PREV: {c.name: c.type for c in columns}}, dialect="duckdb", normalize=False)
    try:
        typed = annotate_types(
            qualify(tree, schema=schema, dialect=config.dialect), schema=schema, dialect=config.dialect
        )
    except SqlglotError as err:
        raise StepConfigError(f"the SQL does not fit the previous step: {_first_line(err)}") from err
    out = [ColumnType(name=e.alias_or_name, type=_duckdb_type(e.type)) for e in typed.selects]
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise StepConfigError("two output columns have the same name; rename one with AS")
    return out


def _to_sql(config: RawSqlConfig, ctx: StepContext) -> exp.Query:
    tree = parse_select(config.sql, config.dialect).copy()

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and node.name == PREV and not node.args.get("db"):
            source = ctx.source.copy()
            return exp.alias_(source, node.alias or PREV, table=True)
        return node

    return tree.transform(swap)  # type: ignore[return-value]


register(
    OpSpec(
        "raw_sql",
        "SQL step",
        "sql",
        RawSqlConfig,
        describe=lambda c: "Custom SQL: " + " ".join(c.sql.split())[:80],
        output_columns=_output,
        to_sql=_to_sql,
        columns_used=lambda c: [],
    )
)
