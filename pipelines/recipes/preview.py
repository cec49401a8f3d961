"""Live preview on DuckDB: the compiled SQL up to step k, first rows, row count and conversion warnings."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlglot import exp

from pipelines.recipes.cache import PreviewCache, step_keys
from pipelines.recipes.compiler import build, default_relation, fill_relations
from pipelines.recipes.core import CastFailed, ColumnType, RecipeError
from pipelines.recipes.model import Recipe
from pipelines.recipes.ops.base import Check, StepContext
from pipelines.recipes.sqlkit import render, table

SAMPLE_SEED = 42


@dataclass
class PreviewResult:
    """First rows of a step's output; `sampled` says the rows come from a sample of the input."""

    columns: list[ColumnType]
    rows: list[list[Any]]
    total: int | None
    sampled: bool = False
    warnings: list[str] = field(default_factory=list)


def describe_relation(con: duckdb.DuckDBPyConnection, relation_sql: str) -> list[ColumnType]:
    """Columns of a table or `(query)` as DuckDB sees them."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation_sql}").fetchall()
    return [ColumnType(name=r[0], type=r[1]) for r in rows]


def sampled_relation(input_relation: str, sample: int | float) -> str:
    """The input restricted to a repeatable sample: `int` = rows, `float` in (0, 1) = fraction."""
    if isinstance(sample, float) and 0 < sample < 1:
        clause = f"{sample * 100:.6f}% (system, {SAMPLE_SEED})"
    elif isinstance(sample, int) and sample > 0:
        clause = f"reservoir({int(sample)} ROWS) REPEATABLE ({SAMPLE_SEED})"
    else:
        raise RecipeError(f"sample must be a row count or a fraction between 0 and 1, not {sample!r}")
    return f"(SELECT * FROM {input_relation} USING SAMPLE {clause})"


@dataclass
class Inputs:
    columns: list[ColumnType]
    others: dict[str, list[ColumnType]]
    relations: dict[str, str]


def resolve_inputs(
    con: duckdb.DuckDBPyConnection,
    recipe: Recipe,
    input_relation: str,
    relations: Mapping[str, str] | None,
    model_schema: str,
) -> Inputs:
    rels = dict(relations or {})
    others: dict[str, list[ColumnType]] = {}
    for source in recipe.inputs()[1:]:
        rel = rels.setdefault(source.key, default_relation(source, "duckdb", model_schema=model_schema))
        if source.key not in others:
            with contextlib.suppress(duckdb.Error):  # the join/union step reports a missing input by name
                others[source.key] = describe_relation(con, rel)
    return Inputs(describe_relation(con, input_relation), others, rels)


def compiled_relation(
    con: duckdb.DuckDBPyConnection,
    recipe: Recipe,
    *,
    input_relation: str,
    upto: int | None = None,
    relations: Mapping[str, str] | None = None,
    sample: int | float | None = None,
    model_schema: str = "analytics",
) -> str:
    """`(WITH ... SELECT ...)`: the recipe's output after step `upto`, usable as a relation (facets, clustering)."""
    inputs = resolve_inputs(con, recipe, input_relation, relations, model_schema)
    source = sampled_relation(input_relation, sample) if sample else input_relation
    compiled = build(recipe, "duckdb", inputs.columns, inputs.others, upto=upto)
    return "(" + fill_relations(compiled.text(), compiled, source, inputs.relations) + ")"


BLOCKING = {
    "deduplicate",
    "group_by",
    "aggregate",
    "join",
    "union",
    "pivot",
    "unpivot",
    "fill_down",
    "fill_nulls",
    "raw_sql",
}


@dataclass
class _Base:
    """Where a preview starts: the input (step 0) or a cached step output."""

    step: int
    relation: str
    columns: list[ColumnType]
    warnings: list[str]


def preview(
    con: duckdb.DuckDBPyConnection,
    recipe: Recipe,
    *,
    input_relation: str,
    upto: int | None = None,
    limit: int = 50,
    sample: int | float | None = None,
    relations: Mapping[str, str] | None = None,
    count_total: bool = True,
    check: bool = True,
    model_schema: str = "analytics",
    cache: PreviewCache | None = None,
    data_version: str = "",
) -> PreviewResult:
    """Run the recipe up to step `upto` on DuckDB: first `limit` rows, total rows and warnings.

    A strict cast that would fail raises CastFailed (how many rows, up to 5 examples); a try-cast or
    date parse that empties values adds a warning. With a `cache`, the output of the latest unchanged
    step is reused and the new output is kept, so previews after an edit only run the edited steps."""
    inputs = resolve_inputs(con, recipe, input_relation, relations, model_schema)
    source = sampled_relation(input_relation, sample) if sample else input_relation
    last = len(recipe.steps) if upto is None else max(0, min(upto, len(recipe.steps)))
    keys = step_keys(
        recipe,
        last,
        input_relation=input_relation,
        data_version=data_version,
        sample=sample,
        relations=inputs.relations,
    )
    start = _Base(0, source, inputs.columns, [])
    hit = cache.best(con, keys, need_warnings=check) if cache else None
    if hit:
        start = _Base(hit[0], hit[1].table, hit[1].columns, list(hit[1].warnings or []))
    keep = cache is not None and (count_total or check or _blocking(recipe, start.step, last))
    try:
        base = start
        if cache is not None and keep and base.step < last - 1:
            # Keep the output before the last step too: editing the last step then reruns only that step.
            base = _advance(con, recipe, inputs, base, last - 1, check, cache, keys)
        compiled = build(recipe, "duckdb", base.columns, inputs.others, upto=last, start=base.step)
        sql = fill_relations(compiled.text(), compiled, base.relation, inputs.relations)
        warnings = base.warnings + (_run_checks(con, recipe, inputs, base, last) if check else [])
        if cache is not None and keep and base.step < last:
            sql = f"SELECT * FROM {cache.store(con, keys[last], sql, compiled.columns, warnings if check else None).table}"
        cursor = con.execute(f"SELECT * FROM ({sql}) AS _q LIMIT {int(limit)}")
        columns = [ColumnType(name=d[0], type=str(d[1])) for d in cursor.description or []]
        rows = [list(r) for r in cursor.fetchall()]
        total = con.execute(f"SELECT COUNT(*) FROM ({sql}) AS _q").fetchone()[0] if count_total else None  # type: ignore[index]
    except duckdb.Error as err:
        raise _locate_failure(con, recipe, inputs, start, last, err) from err
    return PreviewResult(columns, rows, total, sampled=bool(sample), warnings=warnings)


def _advance(
    con: duckdb.DuckDBPyConnection,
    recipe: Recipe,
    inputs: Inputs,
    base: _Base,
    upto: int,
    check: bool,
    cache: PreviewCache,
    keys: list[str],
) -> _Base:
    """Materialise steps base+1..upto into the cache and start from there."""
    warnings = base.warnings + (_run_checks(con, recipe, inputs, base, upto) if check else [])
    compiled = build(recipe, "duckdb", base.columns, inputs.others, upto=upto, start=base.step)
    sql = fill_relations(compiled.text(comments=False), compiled, base.relation, inputs.relations)
    stored = cache.store(con, keys[upto], sql, compiled.columns, warnings if check else None)
    return _Base(upto, stored.table, stored.columns, warnings)


def _blocking(recipe: Recipe, start: int, last: int) -> bool:
    """Whether the first page needs the whole input anyway (so keeping the full output costs little more)."""
    return any(s.enabled and s.op in BLOCKING for s in recipe.steps[start:last])


def _run_checks(con: duckdb.DuckDBPyConnection, recipe: Recipe, inputs: Inputs, base: _Base, last: int) -> list[str]:
    """Count the values each converting step cannot convert, over every input row of that step."""
    warnings: list[str] = []
    for number, step in enumerate(recipe.steps[:last], start=1):
        if not step.enabled or number <= base.step:
            continue
        before = build(recipe, "duckdb", base.columns, inputs.others, upto=number - 1, start=base.step)
        ctx = StepContext("duckdb", table("_in"), before.columns, inputs.others)
        for item in step.spec.checks(step.config, ctx):
            relation = "(" + fill_relations(before.text(comments=False), before, base.relation, inputs.relations) + ")"
            failed, examples = _count_failures(con, relation, item)
            if not failed:
                continue
            shown = ", ".join(repr(e) for e in examples)
            message = (
                f"Step {number} ({step.description}): {failed:,} value(s) in {item.column} {item.what}, e.g. {shown}"
            )
            if item.strict:
                raise CastFailed(
                    message,
                    hint="fix those values first (find/replace, mass edit), or choose 'empty when not convertible'",
                    failed_rows=failed,
                    examples=examples,
                    step=number,
                    step_id=step.id,
                    column=item.column,
                )
            warnings.append(message)
    return warnings


def _count_failures(con: duckdb.DuckDBPyConnection, relation: str, item: Check) -> tuple[int, list[str]]:
    value = render(exp.Cast(this=item.value, to=exp.DataType.build("VARCHAR")), "duckdb")
    failed = render(item.failed, "duckdb")
    sql = (
        f"SELECT SUM(n), LIST(v ORDER BY n DESC, v)[1:5] FROM "
        f"(SELECT {value} AS v, COUNT(*) AS n FROM {relation} AS _in WHERE {failed} GROUP BY 1)"
    )
    total, examples = con.execute(sql).fetchone()  # type: ignore[misc]
    return int(total or 0), list(examples or [])


def _locate_failure(
    con: duckdb.DuckDBPyConnection, recipe: Recipe, inputs: Inputs, base: _Base, last: int, err: duckdb.Error
) -> RecipeError:
    """Find the first step whose output fails to compute and name it in the error."""
    first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
    for number, step in enumerate(recipe.steps[:last], start=1):
        if not step.enabled or number <= base.step:
            continue
        partial = build(recipe, "duckdb", base.columns, inputs.others, upto=number, start=base.step)
        sql = fill_relations(partial.text(comments=False), partial, base.relation, inputs.relations)
        try:
            con.execute(f"SELECT * FROM ({sql}) AS _q").fetchmany(1)
            con.execute(f"SELECT COUNT(*) FROM ({sql}) AS _q").fetchone()
        except duckdb.Error:
            return RecipeError(
                f"Step {number} ({step.description}) failed: {first_line}",
                hint="edit or disable this step",
                step=number,
                step_id=step.id,
            )
    return RecipeError(f"The recipe failed: {first_line}")


def discover_pivot_values(
    con: duckdb.DuckDBPyConnection, relation_sql: str, column: str, *, limit: int = 100
) -> list[Any]:
    """Distinct non-empty values of `column` (sorted) so a pivot's SQL can list them; errors past `limit`."""
    quoted = render(exp.column(column, quoted=True), "duckdb")
    rows = con.execute(
        f"SELECT DISTINCT {quoted} FROM {relation_sql} AS _r WHERE {quoted} IS NOT NULL ORDER BY 1 LIMIT {limit + 1}"
    ).fetchall()
    if len(rows) > limit:
        raise RecipeError(
            f"'{column}' has more than {limit} distinct values; a pivot makes one column per value",
            hint="filter the rows first, or pivot a column with fewer values",
            column=column,
        )
    return [r[0] for r in rows]
