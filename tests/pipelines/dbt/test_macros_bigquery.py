"""The BigQuery branches of the vendored macros, rendered with a small stand-in for dbt's Jinja context.

dbt-bigquery is not installed (and BigQuery not reachable), so the rendered SQL is checked by parsing it
with sqlglot's BigQuery dialect and by the quoting it must use; DuckDB and Postgres run the macros for real.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jinja2
import pytest
import sqlglot

from tests.pipelines.dbt.conftest import TEMPLATE
from tests.pipelines.dbt.macro_cases import HOSTILE

MACRO = re.compile(r"{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


class _Return(Exception):  # mirrors dbt's MacroReturn: ends a macro with a value
    def __init__(self, value: Any) -> None:
        self.value = value


class CompilerError(Exception):
    """What `exceptions.raise_compiler_error` raises here."""


@dataclass
class Column:
    name: str
    data_type: str


@dataclass
class Relation:
    identifier: str
    columns: list[Column]

    def __str__(self) -> str:
        return f"`ngo-data`.`analytics`.`{self.identifier}`"


def render(adapter_type: str, call: str, **values: Any) -> str:
    """Render `{{ call }}` with every macro of bundled_dbt/macros, dispatching like dbt for `adapter_type`."""
    source = "\n".join(p.read_text() for p in sorted((TEMPLATE / "macros").rglob("*.sql")))
    names = MACRO.findall(source)
    env = jinja2.Environment(extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined)
    loaded: dict[str, Any] = {}

    def wrap(name: str) -> Any:
        def call_macro(*args: Any, **kwargs: Any) -> Any:
            try:
                return getattr(loaded["module"], "raw__" + name)(*args, **kwargs)
            except _Return as done:
                return done.value

        return call_macro

    env.globals.update({name: wrap(name) for name in names})
    context = _context(env, adapter_type)
    template = env.from_string(MACRO.sub(lambda m: m.group(0).replace(m.group(1), "raw__" + m.group(1)), source))
    loaded["module"] = template.make_module(vars=context)
    return env.from_string("{{ " + call + " }}").render(**values)


def _context(env: jinja2.Environment, adapter_type: str) -> dict[str, Any]:
    class Adapter:
        def dispatch(self, name: str) -> Any:
            for prefix in (adapter_type, "default"):
                if f"{prefix}__{name}" in env.globals:
                    return env.globals[f"{prefix}__{name}"]
            raise CompilerError(f"no implementation of {name}")

        def get_columns_in_relation(self, relation: Relation) -> list[Column]:
            return relation.columns

    class Exceptions:
        def raise_compiler_error(self, message: str) -> None:
            raise CompilerError(message)

    def do_return(value: Any) -> None:
        raise _Return(value)

    context = {"adapter": Adapter(), "exceptions": Exceptions(), "execute": True, "return": do_return}
    env.globals.update(context)
    return context


def bigquery_ast(sql: str) -> sqlglot.Expression:
    return sqlglot.parse_one(sql, read="bigquery")


def test_pivot_quotes_with_backticks_and_escapes_values() -> None:
    fragment = render("bigquery", "dalgo_pivot('month', ['jan', \"o'clock\", none], value_column='visits')")
    ast = bigquery_ast(f"select district, {fragment} from t group by district")
    assert [c.alias_or_name for c in ast.expressions] == ["district", "jan", "o'clock", "null"]
    assert "cast(`month` as string) = 'o\\'clock'" in fragment
    assert "`month` is null" in fragment


def test_unpivot_uses_bigquery_unpivot_with_nulls_and_hostile_names() -> None:
    sql = render(
        "bigquery",
        f"dalgo_unpivot('src', ['visits', '{HOSTILE}'], keep=['district'], name_column='measure', value_column='amount')",
    )
    ast = bigquery_ast(sql)
    assert [c.alias_or_name for c in ast.expressions] == ["district", "measure", "amount"]
    assert 'unpivot include nulls (`amount` for `measure` in (`visits`, `x"; DROP TABLE y; --`))' in sql
    assert "cast(`visits` as string)" in sql


def test_safe_divide_on_bigquery() -> None:
    assert render("bigquery", "dalgo_safe_divide('`a`', '`b`')") == "safe_divide(cast(`a` as float64), `b`)"
    assert bigquery_ast("select " + render("bigquery", "dalgo_safe_divide('`a`', '`b`')") + " as r from t")


def test_pivot_refuses_an_unknown_aggregate() -> None:
    with pytest.raises(CompilerError, match="agg must be one of"):
        render("bigquery", "dalgo_pivot('month', ['jan'], agg='drop table')")


@pytest.mark.parametrize("adapter_type, quote", [("duckdb", '"'), ("postgres", '"'), ("bigquery", "`")])
def test_union_relations_fills_missing_columns_with_typed_nulls(adapter_type: str, quote: str) -> None:
    first = Relation("visits_2023", [Column("district", "STRING"), Column("visits", "INT64")])
    second = Relation("visits_2024", [Column("District", "STRING"), Column("staff", "INT64")])
    sql = render(adapter_type, "dalgo_union_relations([first, second])", first=first, second=second)
    q = quote
    assert f"cast({q}District{q} as STRING) as {q}district{q}" in sql  # second table's own spelling
    assert f"cast(null as INT64) as {q}staff{q}" in sql
    assert sql.count("union all") == 1
    if adapter_type == "bigquery":
        ast = bigquery_ast(sql)
        assert [c.alias_or_name for c in ast.left.expressions] == ["_dalgo_source", "district", "visits", "staff"]
