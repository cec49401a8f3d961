"""OpenRefine-style text cleaning: trim, case, find/replace, mass edit, split, edit one cell."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator
from sqlglot import exp

from pipelines.recipes import dialects
from pipelines.recipes.core import ColumnType, Scalar, StepConfigError
from pipelines.recipes.ops.base import (
    OpConfig,
    OpSpec,
    Others,
    StepContext,
    names,
    register,
    require_text,
)
from pipelines.recipes.sqlkit import alias, and_all, col, lit, passthrough, select, typed_lit

Columns = list[str]


def _same(columns: list[ColumnType], config: object, others: Others) -> list[ColumnType]:
    return columns


def _text_columns(columns: list[ColumnType], names_: list[str], action: str) -> list[ColumnType]:
    for name in names_:
        require_text(columns, name, action)
    return columns


# ---- trim / collapse spaces ------------------------------------------------------------------------


class TrimConfig(OpConfig):
    columns: Columns = Field(min_length=1)
    collapse: bool = Field(False, description="also turn runs of spaces inside the text into one space")


def _trim_sql(config: TrimConfig, ctx: StepContext) -> exp.Query:
    def cleaned(name: str) -> exp.Expr:
        value: exp.Expr = col(name)
        if config.collapse:
            value = dialects.regexp_replace(ctx.dialect, value, r"\s+", " ")
        return exp.Trim(this=value)

    return select(passthrough(ctx.columns, {n: cleaned(n) for n in config.columns}), ctx.source)


register(
    OpSpec(
        "trim",
        "Trim spaces",
        "cleaning",
        TrimConfig,
        describe=lambda c: f"{'Trim and collapse' if c.collapse else 'Trim'} spaces in {names(c.columns)}",
        output_columns=lambda cols, c, o: _text_columns(cols, c.columns, "Trim"),
        to_sql=_trim_sql,
        columns_used=lambda c: c.columns,
    )
)


# ---- change case -----------------------------------------------------------------------------------


class CaseConfig(OpConfig):
    columns: Columns = Field(min_length=1)
    case: Literal["upper", "lower", "title"]


def _case_sql(config: CaseConfig, ctx: StepContext) -> exp.Query:
    def changed(name: str) -> exp.Expr:
        if config.case == "upper":
            return exp.Upper(this=col(name))
        if config.case == "lower":
            return exp.Lower(this=col(name))
        return dialects.title_case(ctx.dialect, col(name))

    return select(passthrough(ctx.columns, {n: changed(n) for n in config.columns}), ctx.source)


register(
    OpSpec(
        "change_case",
        "Change case",
        "cleaning",
        CaseConfig,
        describe=lambda c: (
            f"{ {'upper': 'Upper-case', 'lower': 'Lower-case', 'title': 'Title-case'}[c.case] } {names(c.columns)}"
        ),
        output_columns=lambda cols, c, o: _text_columns(cols, c.columns, "Change case"),
        to_sql=_case_sql,
        columns_used=lambda c: c.columns,
    )
)


# ---- find / replace --------------------------------------------------------------------------------


class FindReplaceConfig(OpConfig):
    columns: Columns = Field(min_length=1)
    find: str = Field(min_length=1)
    replace: str = ""
    regex: bool = False
    case_sensitive: bool = True
    whole_value: bool = Field(False, description="only replace when the whole value matches")


def _find_replace_expr(config: FindReplaceConfig, ctx: StepContext, name: str) -> exp.Expr:
    value = col(name)
    if not config.regex and config.case_sensitive and not config.whole_value:
        return exp.func("REPLACE", value, lit(config.find), lit(config.replace))
    if not config.regex and config.whole_value:
        left, right = (
            (value, lit(config.find)) if config.case_sensitive else (exp.Lower(this=value), lit(config.find.lower()))
        )
        return exp.Case(
            ifs=[exp.If(this=exp.EQ(this=left, expression=right), true=lit(config.replace))], default=col(name)
        )
    pattern = config.find if config.regex else re.escape(config.find)
    replacement = config.replace if config.regex else config.replace.replace("\\", "\\\\")
    if config.whole_value:
        pattern = f"^(?:{pattern})$"
    return dialects.regexp_replace(ctx.dialect, value, pattern, replacement, ignore_case=not config.case_sensitive)


def _describe_find(c: FindReplaceConfig) -> str:
    kind = "pattern" if c.regex else "text"
    return f"Replace {kind} '{c.find}' with '{c.replace}' in {names(c.columns)}"


register(
    OpSpec(
        "find_replace",
        "Find and replace",
        "cleaning",
        FindReplaceConfig,
        describe=_describe_find,
        output_columns=lambda cols, c, o: _text_columns(cols, c.columns, "Find and replace"),
        to_sql=lambda c, ctx: select(
            passthrough(ctx.columns, {n: _find_replace_expr(c, ctx, n) for n in c.columns}), ctx.source
        ),
        columns_used=lambda c: c.columns,
    )
)


# ---- mass edit (also: edit a value everywhere, accept a cluster) -----------------------------------


class MassEdit(OpConfig):
    from_: list[Scalar] = Field(alias="from", min_length=1)
    to: Scalar


class MassEditConfig(OpConfig):
    column: str
    edits: list[MassEdit] = Field(min_length=1)


def _mass_edit_sql(config: MassEditConfig, ctx: StepContext) -> exp.Query:
    type_name = ctx.type_of(config.column)
    target = col(config.column)
    ifs = []
    for edit in config.edits:
        present = [typed_lit(v, type_name) for v in edit.from_ if v is not None]
        tests: list[exp.Expr] = [exp.In(this=target.copy(), expressions=present)] if present else []
        if any(v is None for v in edit.from_):
            tests.append(exp.Is(this=target.copy(), expression=exp.Null()))
        ifs.append(exp.If(this=and_all(tests, "any"), true=typed_lit(edit.to, type_name)))
    expression = exp.Case(ifs=ifs, default=target)
    return select(passthrough(ctx.columns, {config.column: expression}), ctx.source)


def _describe_mass_edit(c: MassEditConfig) -> str:
    if len(c.edits) == 1:
        edit = c.edits[0]
        spellings = {v for v in edit.from_} | {edit.to}
        if len(spellings) > 2 or (len(edit.from_) > 1):
            return f"Merge {len(spellings)} spellings of '{edit.to}' in {c.column}"
        return f"Change '{edit.from_[0]}' to '{edit.to}' in {c.column}"
    values = len({v for e in c.edits for v in e.from_} | {e.to for e in c.edits})
    return f"Merge {values} spellings into {len(c.edits)} values in {c.column}"


register(
    OpSpec(
        "mass_edit",
        "Mass edit",
        "cleaning",
        MassEditConfig,
        describe=_describe_mass_edit,
        output_columns=_same,
        to_sql=_mass_edit_sql,
        columns_used=lambda c: [c.column],
    )
)


# ---- edit one cell (a keyed override that survives re-ingestion) -----------------------------------


class EditCellConfig(OpConfig):
    key: dict[str, Scalar] = Field(min_length=1, description="key column → value identifying the row")
    column: str
    value: Scalar


def _edit_cell_sql(config: EditCellConfig, ctx: StepContext) -> exp.Query:
    tests: list[exp.Expr] = []
    for name, value in config.key.items():
        key_type = ctx.type_of(name)
        if value is None:
            tests.append(exp.Is(this=col(name), expression=exp.Null()))
        else:
            tests.append(exp.EQ(this=col(name), expression=typed_lit(value, key_type)))
    new = typed_lit(config.value, ctx.type_of(config.column))
    expression = exp.Case(ifs=[exp.If(this=and_all(tests), true=new)], default=col(config.column))
    return select(passthrough(ctx.columns, {config.column: expression}), ctx.source)


def _describe_edit_cell(c: EditCellConfig) -> str:
    where = " and ".join(f"{k} = {v!r}" for k, v in c.key.items())
    return f"Set {c.column} to {c.value!r} where {where}"


register(
    OpSpec(
        "edit_cell",
        "Edit one cell",
        "cleaning",
        EditCellConfig,
        describe=_describe_edit_cell,
        output_columns=_same,
        to_sql=_edit_cell_sql,
        columns_used=lambda c: [*c.key, c.column],
    )
)


# ---- split column ----------------------------------------------------------------------------------

SPLIT_PART = "__dalgo_part"


class SplitConfig(OpConfig):
    column: str
    separator: str = Field(min_length=1)
    mode: Literal["columns", "rows"] = "columns"
    count: int = Field(2, ge=1, le=100, description="number of new columns (columns mode)")
    names: list[str] | None = Field(None, description="names of the new columns (columns mode)")
    trim: bool = True
    keep_original: bool = False

    @field_validator("names")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (len(set(value)) != len(value) or any(not v for v in value)):
            raise ValueError("new column names must be distinct and not empty")
        return value


def _split_names(config: SplitConfig) -> list[str]:
    return config.names or [f"{config.column}_{i}" for i in range(1, config.count + 1)]


def _split_output(columns: list[ColumnType], config: SplitConfig, others: Others) -> list[ColumnType]:
    require_text(columns, config.column, "Split")
    if config.mode == "rows":
        return columns
    new = _split_names(config)
    existing = {c.name for c in columns if c.name != config.column or config.keep_original}
    clash = [n for n in new if n in existing]
    if clash:
        raise StepConfigError(f"split would create '{clash[0]}', which already exists", column=clash[0])
    out: list[ColumnType] = []
    for c in columns:
        if c.name != config.column or config.keep_original:
            out.append(c)
        if c.name == config.column:
            out.extend(ColumnType(name=n, type="VARCHAR") for n in new)
    return out


def _split_sql(config: SplitConfig, ctx: StepContext) -> exp.Query:
    if config.mode == "rows":
        return _split_rows_sql(config, ctx)
    items: list[exp.Expr] = []
    for c in ctx.columns:
        if c.name != config.column or config.keep_original:
            items.append(col(c.name))
        if c.name == config.column:
            for i, name in enumerate(_split_names(config), start=1):
                part = dialects.split_part(ctx.dialect, col(c.name), config.separator, i)
                items.append(alias(exp.Trim(this=part) if config.trim else part, name))
    return select(items, ctx.source)


def _split_rows_sql(config: SplitConfig, ctx: StepContext) -> exp.Query:
    array = dialects.split_array(ctx.dialect, col(config.column), config.separator)
    part: exp.Expr = col(SPLIT_PART)
    outer = [
        alias(exp.Trim(this=part) if config.trim else part, c.name) if c.name == config.column else col(c.name)
        for c in ctx.columns
    ]
    if ctx.dialect == "bigquery":
        joined = select(outer, ctx.source_as("_s"))
        unnest = exp.Unnest(expressions=[array], alias=exp.TableAlias(columns=[exp.to_identifier(SPLIT_PART)]))
        return joined.join(unnest, join_type="CROSS")
    inner_items = [col(c.name) for c in ctx.columns] + [alias(exp.Unnest(expressions=[array]), SPLIT_PART)]
    inner = select(inner_items, ctx.source).subquery("_s")
    return select(outer, inner)


def _describe_split(c: SplitConfig) -> str:
    if c.mode == "rows":
        return f"Split {c.column} on '{c.separator}' into one row per part"
    return f"Split {c.column} on '{c.separator}' into {names(_split_names(c))}"


register(
    OpSpec(
        "split_column",
        "Split column",
        "cleaning",
        SplitConfig,
        describe=_describe_split,
        output_columns=_split_output,
        to_sql=_split_sql,
        columns_used=lambda c: [c.column],
    )
)
