"""Safe SQL building blocks over sqlglot: every identifier and literal is quoted by the builder.

Dialect-specific functions are written as small templates parsed in the target dialect, where
placeholders (`__a`, `__b`, ...) are replaced by already-built expressions, so user text never
becomes SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from pipelines.recipes.core import ColumnType, Dialect, Scalar, kind_of, literal_type

# DuckDB type names the UI offers for casts; DECIMAL(p,s) is accepted too.
CAST_TYPES = (
    "VARCHAR",
    "BIGINT",
    "INTEGER",
    "DOUBLE",
    "BOOLEAN",
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIME",
    "JSON",
)
_DECIMAL = re.compile(r"^DECIMAL\((\d{1,2}),\s*(\d{1,2})\)$")


def ident(name: str) -> exp.Identifier:
    """A quoted identifier."""
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    """A quoted column reference, optionally qualified by a (generated, safe) table alias."""
    return exp.Column(this=ident(name), table=exp.to_identifier(table) if table else None)


def table(name: str, alias: str | None = None) -> exp.Table:
    """A reference to a CTE or placeholder relation by name."""
    node = exp.Table(this=exp.to_identifier(name))
    return node.as_(alias) if alias else node  # type: ignore[return-value]


def lit(value: Scalar) -> exp.Expr:
    """A literal for a JSON constant."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
    return exp.Literal.string(str(value))


def alias(expression: exp.Expr, name: str) -> exp.Alias:
    """`expression AS "name"`."""
    return exp.Alias(this=expression, alias=ident(name))


def normalise_type(type_name: str) -> str:
    """Check a user-given type against the allowed list; returns DuckDB's canonical spelling."""
    name = " ".join(type_name.upper().split())
    aliases = {
        "TEXT": "VARCHAR",
        "STRING": "VARCHAR",
        "INT": "INTEGER",
        "FLOAT": "DOUBLE",
        "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
    }
    name = aliases.get(name, name)
    if name in CAST_TYPES:
        return name
    match = _DECIMAL.match(name)
    if match and 0 < int(match.group(1)) <= 38 and int(match.group(2)) <= int(match.group(1)):
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    raise ValueError(f"unsupported type '{type_name}'; use one of {', '.join(CAST_TYPES)} or DECIMAL(p,s)")


def dtype(type_name: str) -> exp.DataType:
    """A DuckDB type name as a sqlglot type (transpiled per dialect when rendered)."""
    name = " ".join(type_name.upper().split())
    if name in {"HUGEINT", "UHUGEINT"}:
        name = "DECIMAL(38,0)"  # portable spelling of a 128-bit integer
    return exp.DataType.build(name, dialect="duckdb")


def cast(expression: exp.Expr, type_name: str) -> exp.Cast:
    """`CAST(expression AS type)`."""
    return exp.Cast(this=expression, to=dtype(type_name))


def typed_lit(value: Scalar, column_type: str) -> exp.Expr:
    """A constant compared with or stored into a column of `column_type`, cast when its JSON type differs."""
    if value is None:
        return exp.Null()
    kind = kind_of(column_type)
    own = kind_of(literal_type(value))
    numeric = {"integer", "number"}
    if kind == own or (kind in numeric and own in numeric):
        return lit(value)
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return cast(exp.Literal.string(text), column_type)


def fn(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A function call rendered exactly as named (for functions with the same name in a dialect)."""
    return exp.Anonymous(this=name, expressions=list(args))


@lru_cache(maxsize=512)
def _parsed(dialect: str, text: str) -> exp.Expr:
    return sqlglot.parse_one(f"SELECT {text}", read=dialect).expressions[0]


def template(dialect: Dialect, text: str, **parts: exp.Expr) -> exp.Expr:
    """Parse a trusted SQL fragment in `dialect` and put the built expressions in place of `__name` columns."""
    tree = _parsed(dialect, text).copy()
    holes = {f"__{key}": value for key, value in parts.items()}

    def fill(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in holes:
            return holes[node.name].copy()
        return node

    return tree.transform(fill)


def render(expression: exp.Expr, dialect: Dialect, *, pretty: bool = False) -> str:
    """SQL text; raises if sqlglot cannot express something in the dialect rather than guessing."""
    return expression.sql(dialect=dialect, pretty=pretty, unsupported_level=ErrorLevel.RAISE)


def select(projections: Sequence[exp.Expr], source: exp.Expr) -> exp.Select:
    """`SELECT projections FROM source`."""
    return exp.Select(expressions=list(projections)).from_(source, copy=False)


def passthrough(columns: list[ColumnType], replace: Mapping[str, exp.Expr] | None = None) -> list[exp.Expr]:
    """Every input column in order, with some replaced by an expression under the same name."""
    replace = replace or {}
    return [alias(replace[c.name], c.name) if c.name in replace else col(c.name) for c in columns]


def ordered(column: str, descending: bool, table_alias: str | None = None) -> exp.Ordered:
    """An ORDER BY key with nulls last in every dialect."""
    return exp.Ordered(this=col(column, table_alias), desc=descending, nulls_first=False)


def and_all(conditions: Sequence[exp.Expr], match: str = "all") -> exp.Expr:
    """Conditions joined by AND (`match="all"`) or OR (`"any"`); TRUE when empty."""
    if not conditions:
        return exp.true()
    joined = exp.and_(*conditions) if match == "all" else exp.or_(*conditions)
    return exp.Paren(this=joined) if len(conditions) > 1 else joined
