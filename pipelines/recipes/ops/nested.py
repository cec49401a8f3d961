"""Flatten JSON: pull values at given paths out of a JSON (or JSON text) column into text columns."""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from sqlglot import exp

from pipelines.naming import normalise_identifier
from pipelines.recipes import dialects
from pipelines.recipes.core import ColumnType
from pipelines.recipes.ops.base import (
    OpConfig,
    OpSpec,
    Others,
    StepContext,
    names,
    put_column,
    put_expressions,
    register,
    require_text,
)
from pipelines.recipes.sqlkit import col, select

# ---- flatten JSON ----------------------------------------------------------------------------------

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """`a.b[0].c` → `["a", "b", 0, "c"]`."""
    keys: list[str | int] = []
    for name, index in _PATH_PART.findall(path):
        keys.append(int(index) if index else name)
    if not keys:
        raise ValueError(f"empty JSON path '{path}'")
    return keys


class FlattenJsonConfig(OpConfig):
    column: str
    paths: list[str] = Field(min_length=1, description="e.g. 'name', 'address.city', 'items[0].qty'")
    names: dict[str, str] = Field(default_factory=dict, description="path → new column name")
    keep_original: bool = True

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            parse_path(path)
        return value


def _flat_names(config: FlattenJsonConfig) -> list[str]:
    out: list[str] = []
    for path in config.paths:
        name = config.names.get(path) or normalise_identifier(f"{config.column}_{path}")
        while name in out:
            name += "_2"
        out.append(name)
    return out


def _flatten_output(columns: list[ColumnType], config: FlattenJsonConfig, others: Others) -> list[ColumnType]:
    require_text(columns, config.column, "Split nested data into columns")
    kept = [c for c in columns if config.keep_original or c.name != config.column]
    for name in _flat_names(config):
        kept = put_column(kept, name, "VARCHAR")
    return kept


def _flatten_sql(config: FlattenJsonConfig, ctx: StepContext) -> exp.Query:
    kept = [c for c in ctx.columns if config.keep_original or c.name != config.column]
    pairs = zip(_flat_names(config), config.paths, strict=True)
    computed = {n: dialects.json_text(ctx.dialect, col(config.column), parse_path(p)) for n, p in pairs}
    return select(put_expressions(kept, computed), ctx.source)


register(
    OpSpec(
        "flatten_json",
        "Split nested data into columns",
        "columns",
        FlattenJsonConfig,
        describe=lambda c: f"Pull {names(c.paths)} out of JSON column {c.column}",
        output_columns=_flatten_output,
        to_sql=_flatten_sql,
        columns_used=lambda c: [c.column],
    )
)
