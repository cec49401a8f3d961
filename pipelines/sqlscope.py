"""Which names in a query are real tables, by SQL scope (sqlglot), not by matching names.

A CTE is visible only in the query that defines it (and that query's subqueries), so a table named like a
CTE defined inside some subquery is still a table (or, in DuckDB, a file path) for the outer FROM. Checks
that decide what a user's SQL may read must resolve names this way.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

# Functions that read files, the network, the environment, settings or other databases: user SQL (recipe SQL
# steps, chart metrics) may not call them, whatever the warehouse would allow.
FORBIDDEN_FUNCTIONS = re.compile(
    r"^(read_\w+|.*_scan|glob|getenv|current_setting|query|query_table|sniff_csv|pg_\w+|lo_\w+|dblink\w*|"
    r"postgres_\w+|sqlite_\w+|mysql_\w+|parquet_\w+|iceberg_\w+|delta_\w+|duckdb_\w+|load|install|system)$",
    re.IGNORECASE,
)


class UnresolvableQuery(ValueError):
    """The query's scopes could not be worked out, so nothing it reads can be trusted."""


def real_tables(tree: exp.Expr) -> list[exp.Table]:
    """Every `exp.Table` of `tree` that is not a reference to a CTE visible where it is used."""
    try:
        scopes = traverse_scope(tree)
    except SqlglotError as err:
        raise UnresolvableQuery(str(err)) from err
    cte_refs: set[int] = set()
    for scope in scopes:
        for table in scope.tables:
            if _names_visible_cte(scope, table):
                cte_refs.add(id(table))
    # Tables in no scope (unusual syntax sqlglot does not scope) are kept: they count as real tables.
    return [t for t in tree.find_all(exp.Table) if id(t) not in cte_refs]


def _names_visible_cte(scope: Scope, table: exp.Table) -> bool:
    if table.args.get("db") or table.args.get("catalog") or not isinstance(table.this, exp.Identifier):
        return False
    source = scope.sources.get(table.alias_or_name)
    return isinstance(source, Scope) and table.name in scope.cte_sources
