"""Functions whose SQL differs between DuckDB, Postgres and BigQuery, built as sqlglot expressions."""

from __future__ import annotations

from sqlglot import exp

from pipelines.recipes import datefmt
from pipelines.recipes.core import Dialect, kind_of
from pipelines.recipes.sqlkit import cast, dtype, fn, lit, template

# Postgres has no TRY_CAST: a text value is cast only when it has the shape of the target type.
_PG_SHAPES = {
    "integer": r"^\s*[-+]?[0-9]+\s*$",
    "number": r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$",
    "date": r"^\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*$",
    "timestamp": r"^\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?\s*([-+][0-9:]+|Z)?\s*$",
}
_PG_BOOLEANS = ("t", "true", "y", "yes", "on", "1", "f", "false", "n", "no", "off", "0")


def try_cast(dialect: Dialect, value: exp.Expr, target: str, source_type: str = "VARCHAR") -> exp.Expr:
    """Cast that yields NULL instead of failing on a value that does not convert."""
    if dialect in {"duckdb", "bigquery"}:
        return exp.TryCast(this=value, to=dtype(target))  # SAFE_CAST in BigQuery
    return _pg_try_cast(value, target, source_type)


def _pg_try_cast(value: exp.Expr, target: str, source_type: str) -> exp.Expr:
    kind, source_kind = kind_of(target), kind_of(source_type)
    if kind == "text" or (kind in {"integer", "number"} and source_kind in {"integer", "number"}):
        return cast(value, target)
    text = template("postgres", "TRIM(CAST(__v AS TEXT))", v=value)
    if kind == "boolean":
        test: exp.Expr = exp.In(this=exp.Lower(this=text), expressions=[lit(b) for b in _PG_BOOLEANS])
    elif kind in {"integer", "number"} or target.upper() == "DATE" or kind == "temporal":
        shape = "date" if target.upper() == "DATE" else ("timestamp" if kind == "temporal" else kind)
        test = template("postgres", "__t ~ __p", t=text, p=lit(_PG_SHAPES[shape]))
    else:
        return cast(value, target)
    return exp.Case(ifs=[exp.If(this=test, true=cast(text.copy(), target))])


def regexp_replace(
    dialect: Dialect, value: exp.Expr, pattern: str, replacement: str, *, ignore_case: bool = False
) -> exp.Expr:
    """Replace every match of `pattern`; `\\1` in the replacement inserts a group."""
    if dialect == "bigquery":
        prefix = "(?i)" if ignore_case else ""
        return fn("REGEXP_REPLACE", value, lit(prefix + pattern), lit(replacement))
    flags = "gi" if ignore_case else "g"
    return fn("REGEXP_REPLACE", value, lit(pattern), lit(replacement), lit(flags))


def regexp_like(dialect: Dialect, value: exp.Expr, pattern: str, *, ignore_case: bool = False) -> exp.Expr:
    """TRUE when `pattern` matches somewhere in the value."""
    if dialect == "duckdb":
        args = [value, lit(pattern)] + ([lit("i")] if ignore_case else [])
        return fn("REGEXP_MATCHES", *args)
    if dialect == "postgres":
        op = "~*" if ignore_case else "~"
        return template("postgres", f"__v {op} __p", v=value, p=lit(pattern))
    return fn("REGEXP_CONTAINS", value, lit(("(?i)" if ignore_case else "") + pattern))


def regexp_extract(dialect: Dialect, value: exp.Expr, pattern: str, group: int) -> exp.Expr:
    """The text matched by `group` (0 = whole match) of the first match; NULL when nothing matches."""
    if dialect == "duckdb":
        return exp.Nullif(this=fn("REGEXP_EXTRACT", value, lit(pattern), lit(group)), expression=lit(""))
    wrapped = f"({pattern})"  # an outer group makes group 0 addressable and shifts the others by one
    if dialect == "postgres":
        return template("postgres", f"(REGEXP_MATCH(__v, __p))[{group + 1}]", v=value, p=lit(wrapped))
    whole = f"(?s)^.*?{wrapped}.*$"
    replaced = fn("REGEXP_REPLACE", value, lit(whole), lit(f"\\{group + 1}"))
    return exp.If(this=fn("REGEXP_CONTAINS", value, lit(pattern)), true=replaced, false=exp.Null())


def split_part(dialect: Dialect, value: exp.Expr, separator: str, index: int) -> exp.Expr:
    """Part `index` (1-based) of the value split on `separator`; NULL when missing or empty."""
    if dialect == "bigquery":
        part = template("bigquery", f"SPLIT(__v, __s)[SAFE_OFFSET({index - 1})]", v=value, s=lit(separator))
    else:
        part = fn("SPLIT_PART", value, lit(separator), lit(index))
    return exp.Nullif(this=part, expression=lit(""))


def split_array(dialect: Dialect, value: exp.Expr, separator: str) -> exp.Expr:
    """The value split on `separator` as an array; NULL or empty text gives a one-element array [NULL]."""
    value = exp.Nullif(this=value, expression=lit(""))
    if dialect == "duckdb":
        return template("duckdb", "COALESCE(STRING_SPLIT(__v, __s), [NULL])", v=value, s=lit(separator))
    if dialect == "postgres":
        return template(
            "postgres", "COALESCE(STRING_TO_ARRAY(__v, __s), ARRAY[NULL]::TEXT[])", v=value, s=lit(separator)
        )
    return template("bigquery", "IFNULL(SPLIT(__v, __s), [CAST(NULL AS STRING)])", v=value, s=lit(separator))


def title_case(dialect: Dialect, value: exp.Expr) -> exp.Expr:
    """First letter of every space-separated word upper-case, the rest lower-case."""
    if dialect == "duckdb":
        return template(
            "duckdb",
            "ARRAY_TO_STRING(LIST_TRANSFORM(STRING_SPLIT(LOWER(__v), ' '), w -> UPPER(w[1]) || w[2:]), ' ')",
            v=value,
        )
    return fn("INITCAP", value)


def concat_ws(dialect: Dialect, separator: str, parts: list[exp.Expr]) -> exp.Expr:
    """Parts joined by `separator`, skipping NULL parts."""
    if dialect == "bigquery":
        return fn("ARRAY_TO_STRING", exp.Array(expressions=parts), lit(separator))
    return fn("CONCAT_WS", lit(separator), *parts)


def json_text(dialect: Dialect, value: exp.Expr, path: list[str | int]) -> exp.Expr:
    """The scalar at `path` inside a JSON (or JSON text) value, as text."""
    if dialect == "postgres":
        keys = [lit(str(key)) for key in path]
        return fn("JSON_EXTRACT_PATH_TEXT", cast(value, "JSON"), *keys)
    json_path = "$" + "".join(f"[{key}]" if isinstance(key, int) else '."' + _escape_key(key) + '"' for key in path)
    name = "JSON_EXTRACT_STRING" if dialect == "duckdb" else "JSON_VALUE"
    return fn(name, value, lit(json_path))


def _escape_key(key: str) -> str:
    return key.replace("\\", "\\\\").replace('"', '\\"')


def parse_datetime(dialect: Dialect, value: exp.Expr, fmt: str, target: str) -> exp.Expr:
    """Parse text with one strftime format into DATE or TIMESTAMP; NULL when the text does not fit."""
    if dialect == "duckdb":
        parsed: exp.Expr = fn("TRY_STRPTIME", value, lit(fmt))
        return cast(parsed, "DATE") if target == "DATE" else parsed
    if dialect == "bigquery":
        name = "SAFE.PARSE_DATE" if target == "DATE" else "SAFE.PARSE_DATETIME"
        return template("bigquery", f"{name}(__f, __v)", f=lit(fmt), v=value)
    shape = template("postgres", "__v ~* __p", v=value, p=lit(datefmt.strftime_regex(fmt)))
    pg_fmt = lit(datefmt.strftime_to_postgres(fmt))
    converted = (
        fn("TO_DATE", value.copy(), pg_fmt)
        if target == "DATE"
        else cast(fn("TO_TIMESTAMP", value.copy(), pg_fmt), target)
    )
    return exp.Case(ifs=[exp.If(this=shape, true=converted)])


def safe_divide(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """Division as DOUBLE that gives NULL (not an error) when the denominator is zero."""
    return exp.Div(
        this=cast(numerator, "DOUBLE"),
        expression=exp.Nullif(this=denominator, expression=lit(0)),
        typed=False,
        safe=False,
    )
