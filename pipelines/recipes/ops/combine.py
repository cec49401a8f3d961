"""Multi-input operations: join another table/model, and union tables by column name."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlglot import exp

from pipelines.recipes.core import (
    ColumnType,
    RecipeInput,
    StepConfigError,
    common_type,
    comparable,
    find_column,
)
from pipelines.recipes.ops.base import OpConfig, OpSpec, Others, StepContext, names, register
from pipelines.recipes.sqlkit import alias, and_all, cast, col, select

LEFT, RIGHT = "_l", "_r"


def other_columns(others: Others, source: RecipeInput) -> list[ColumnType]:
    """Columns of a right-hand input, or a clear error when the caller did not provide them."""
    if source.key not in others:
        raise StepConfigError(
            f"the columns of '{source.label}' are unknown",
            hint=f"make sure '{source.label}' exists (sync the source or save that model first)",
        )
    return others[source.key]


# ---- join ------------------------------------------------------------------------------------------


class JoinKey(OpConfig):
    left: str
    right: str


class JoinConfig(OpConfig):
    right: RecipeInput
    how: Literal["inner", "left", "full"] = "left"
    on: list[JoinKey] = Field(min_length=1)
    columns: list[str] | None = Field(
        None,
        title="Columns of the other table to bring in",
        description="one per line; empty: all but the matching columns",
    )
    prefix: str | None = Field(None, description="put before a column of the other table whose name is already taken")
    cast_keys: bool = Field(False, description="compare the matching columns as text when their types differ")


def _right_name(config: JoinConfig) -> str:
    return config.right.table if config.right.kind == "table" else config.right.model


def _join_plan(columns: list[ColumnType], config: JoinConfig, others: Others) -> list[tuple[str, str, ColumnType]]:
    """(side, source column, output column) for every output column; checks key types."""
    right = other_columns(others, config.right)
    for key in config.on:
        left_col, right_col = find_column(columns, key.left), _right_column(right, key.right, config)
        if not comparable(left_col.type, right_col.type) and not config.cast_keys:
            raise StepConfigError(
                f"join key {key.left} is {left_col.type} but {config.right.label}.{key.right} is {right_col.type}",
                column=key.left,
                hint="turn on 'compare keys as text' (cast_keys) or add a 'Change column type' step so both keys match",
            )
    plan = [("left", c.name, c) for c in columns]
    keys = {k.right for k in config.on}
    wanted = config.columns if config.columns is not None else [c.name for c in right if c.name not in keys]
    taken = {c.name for c in columns}
    prefix = config.prefix if config.prefix is not None else f"{_right_name(config)}_"
    for name in wanted:
        source = _right_column(right, name, config)
        out = name
        while out in taken:
            out = f"{prefix}{out}"
        taken.add(out)
        plan.append(("right", name, ColumnType(name=out, type=source.type)))
    return _full_join_keys(plan, config, right) if config.how == "full" else plan


def _full_join_keys(
    plan: list[tuple[str, str, ColumnType]], config: JoinConfig, right: list[ColumnType]
) -> list[tuple[str, str, ColumnType]]:
    """In a full join a left key is empty for right-only rows: output COALESCE(left key, right key)."""
    keys = {k.left: k.right for k in config.on}
    out = []
    for side, name, column in plan:
        if side == "left" and name in keys:
            right_type = _right_column(right, keys[name], config).type
            joined = common_type([column.type, right_type]) if comparable(column.type, right_type) else "VARCHAR"
            out.append(("key", name, ColumnType(name=column.name, type=joined)))
        else:
            out.append((side, name, column))
    return out


def _right_column(right: list[ColumnType], name: str, config: JoinConfig) -> ColumnType:
    try:
        return find_column(right, name)
    except StepConfigError as err:
        raise StepConfigError(f"'{config.right.label}' has no column '{name}'", column=name) from err


def _join_sql(config: JoinConfig, ctx: StepContext) -> exp.Query:
    plan = _join_plan(ctx.columns, config, ctx.others)
    keys = {k.left: k.right for k in config.on}
    items: list[exp.Expr] = []
    for side, name, column in plan:
        if side == "key":
            merged = exp.Coalesce(
                this=cast(col(name, LEFT), column.type), expressions=[cast(col(keys[name], RIGHT), column.type)]
            )
            items.append(alias(merged, column.name))
        elif side == "left":
            items.append(col(name, LEFT))
        else:
            items.append(alias(col(name, RIGHT), column.name))
    right = exp.alias_(ctx.other(config.right), RIGHT, table=True)
    on = and_all([_key_test(k, ctx, config) for k in config.on])
    kind = {"inner": "INNER", "left": "LEFT", "full": "FULL"}[config.how]
    join_side: str | None = None if kind == "INNER" else kind
    join_kind: str | None = kind if kind == "INNER" else None
    query = select(items, ctx.source_as(LEFT))
    return query.join(exp.Join(this=right, on=on, side=join_side, kind=join_kind), copy=False)


def _key_test(key: JoinKey, ctx: StepContext, config: JoinConfig) -> exp.Expr:
    left, right = col(key.left, LEFT), col(key.right, RIGHT)
    right_type = _right_column(other_columns(ctx.others, config.right), key.right, config).type
    if config.cast_keys and not comparable(ctx.type_of(key.left), right_type):
        left, right = cast(left, "VARCHAR"), cast(right, "VARCHAR")  # type: ignore[assignment]
    return exp.EQ(this=left, expression=right)


def _describe_join(c: JoinConfig) -> str:
    how = {"inner": "Join", "left": "Look up", "full": "Full join"}[c.how]
    on = names([k.left if k.left == k.right else f"{k.left} = {k.right}" for k in c.on])
    return f"{how} {c.right.label} on {on}"


register(
    OpSpec(
        "join",
        "Join",
        "combine",
        JoinConfig,
        describe=_describe_join,
        output_columns=lambda cols, c, o: [x[2] for x in _join_plan(cols, c, o)],
        to_sql=_join_sql,
        columns_used=lambda c: [k.left for k in c.on],
        inputs=lambda c: [c.right],
    )
)


# ---- union -----------------------------------------------------------------------------------------


class UnionConfig(OpConfig):
    others: list[RecipeInput] = Field(min_length=1)


def _union_columns(columns: list[ColumnType], config: UnionConfig, others: Others) -> list[ColumnType]:
    inputs = [columns] + [other_columns(others, o) for o in config.others]
    order: list[str] = []
    types: dict[str, list[str]] = {}
    for cols in inputs:
        for c in cols:
            if c.name not in types:
                order.append(c.name)
                types[c.name] = []
            types[c.name].append(c.type)
    return [ColumnType(name=n, type=common_type(types[n])) for n in order]


def _union_branch(output: list[ColumnType], own: list[ColumnType], source: exp.Expr) -> exp.Select:
    have = {c.name: c.type for c in own}
    items: list[exp.Expr] = []
    for c in output:
        if c.name not in have:
            items.append(alias(cast(exp.Null(), c.type), c.name))
        elif have[c.name] != c.type:
            items.append(alias(cast(col(c.name), c.type), c.name))
        else:
            items.append(col(c.name))
    return select(items, source)


def _union_sql(config: UnionConfig, ctx: StepContext) -> exp.Query:
    output = _union_columns(ctx.columns, config, ctx.others)
    query: exp.Query = _union_branch(output, ctx.columns, ctx.source)
    for other in config.others:
        branch = _union_branch(output, other_columns(ctx.others, other), ctx.other(other))
        query = exp.Union(this=query, expression=branch, distinct=False)
    return query


register(
    OpSpec(
        "union",
        "Append tables",
        "combine",
        UnionConfig,
        describe=lambda c: f"Append rows of {names([o.label for o in c.others])} (columns matched by name)",
        output_columns=_union_columns,
        to_sql=_union_sql,
        columns_used=lambda c: [],
        inputs=lambda c: list(c.others),
    )
)
