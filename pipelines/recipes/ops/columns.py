"""Column operations (Dalgo's set): drop, rename, arithmetic, coalesce, concat, replace, regex extract,
flatten JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from sqlglot import exp

from pipelines.recipes import dialects
from pipelines.recipes.core import (
    ColumnOperand,
    ColumnType,
    Operand,
    Scalar,
    StepConfigError,
    common_type,
    find_column,
    kind_of,
    literal_type,
)
from pipelines.recipes.ops.base import (
    OpConfig,
    OpSpec,
    Others,
    StepContext,
    names,
    put_column,
    put_expression,
    register,
    require_text,
)
from pipelines.recipes.sqlkit import cast, col, lit, select


def operand_type(operand: Operand, columns: list[ColumnType]) -> str:
    if isinstance(operand, ColumnOperand):
        return find_column(columns, operand.column).type
    return literal_type(operand.value)


def operand_sql(operand: Operand) -> exp.Expr:
    return col(operand.column) if isinstance(operand, ColumnOperand) else lit(operand.value)


def operand_text(operand: Operand) -> str:
    return operand.column if isinstance(operand, ColumnOperand) else repr(operand.value)


def operand_columns(operands: list[Operand]) -> list[str]:
    return [o.column for o in operands if isinstance(o, ColumnOperand)]


def as_type(expression: exp.Expr, own: str, target: str) -> exp.Expr:
    """`expression` cast to `target` unless it already has that type."""
    return expression if own == target else cast(expression, target)


# ---- drop / rename ---------------------------------------------------------------------------------


class DropConfig(OpConfig):
    columns: list[str] = Field(min_length=1)


def _drop_output(columns: list[ColumnType], config: DropConfig, others: Others) -> list[ColumnType]:
    kept = [c for c in columns if c.name not in set(config.columns)]
    if not kept:
        raise StepConfigError("this would drop every column", hint="keep at least one column")
    return kept


register(
    OpSpec(
        "drop_columns",
        "Drop columns",
        "columns",
        DropConfig,
        describe=lambda c: f"Drop {names(c.columns)}",
        output_columns=_drop_output,
        to_sql=lambda c, ctx: select([col(x.name) for x in _drop_output(ctx.columns, c, {})], ctx.source),
        columns_used=lambda c: c.columns,
    )
)


class RenameConfig(OpConfig):
    mapping: dict[str, str] = Field(min_length=1, description="old name → new name")

    @field_validator("mapping")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        if any(not new.strip() for new in value.values()):
            raise ValueError("new column names cannot be empty")
        return value


def _rename_output(columns: list[ColumnType], config: RenameConfig, others: Others) -> list[ColumnType]:
    out = [ColumnType(name=config.mapping.get(c.name, c.name), type=c.type) for c in columns]
    seen: set[str] = set()
    for c in out:
        if c.name in seen:
            raise StepConfigError(f"two columns would be called '{c.name}'", column=c.name, hint="pick another name")
        seen.add(c.name)
    return out


def _rename_sql(config: RenameConfig, ctx: StepContext) -> exp.Query:
    items = [
        exp.Alias(this=col(c.name), alias=exp.to_identifier(config.mapping[c.name], quoted=True))
        if c.name in config.mapping
        else col(c.name)
        for c in ctx.columns
    ]
    return select(items, ctx.source)


register(
    OpSpec(
        "rename_columns",
        "Rename columns",
        "columns",
        RenameConfig,
        describe=lambda c: "Rename " + names([f"{o} to {n}" for o, n in c.mapping.items()]),
        output_columns=_rename_output,
        to_sql=_rename_sql,
        columns_used=lambda c: list(c.mapping),
    )
)


# ---- arithmetic ------------------------------------------------------------------------------------


class ArithmeticConfig(OpConfig):
    operator: Literal["add", "sub", "mul", "div"]
    operands: list[Operand] = Field(min_length=2)
    output_column: str = Field(min_length=1)
    nulls_as_zero: bool = Field(True, description="when adding or subtracting, an empty cell counts as 0")

    @model_validator(mode="after")
    def _two_for_div(self) -> ArithmeticConfig:
        if self.operator == "div" and len(self.operands) != 2:
            raise ValueError("division takes exactly two operands")
        return self


def _arith_type(columns: list[ColumnType], config: ArithmeticConfig) -> str:
    kinds = []
    for operand in config.operands:
        type_name = operand_type(operand, columns)
        if kind_of(type_name) not in {"integer", "number", "unknown"}:
            label = operand_text(operand)
            raise StepConfigError(
                f"arithmetic needs numbers, but {label} is {type_name}",
                column=operand.column if isinstance(operand, ColumnOperand) else None,
                hint=f"convert {label} to a number with a 'Change column type' step first",
            )
        kinds.append(kind_of(type_name))
    return "BIGINT" if config.operator != "div" and set(kinds) == {"integer"} else "DOUBLE"


def _arith_sql(config: ArithmeticConfig, ctx: StepContext) -> exp.Query:
    parts = [operand_sql(o) for o in config.operands]
    if config.operator == "div":
        result = dialects.safe_divide(parts[0], parts[1])
    else:
        if config.operator in {"add", "sub"} and config.nulls_as_zero:
            parts = [exp.Coalesce(this=p, expressions=[lit(0)]) for p in parts]
        node = {"add": exp.Add, "sub": exp.Sub, "mul": exp.Mul}[config.operator]
        result = parts[0]
        for part in parts[1:]:
            result = node(this=result, expression=part)
    typed = cast(result, _arith_type(ctx.columns, config))
    return select(put_expression(ctx.columns, config.output_column, typed), ctx.source)


def _describe_arith(c: ArithmeticConfig) -> str:
    symbol = {"add": " + ", "sub": " - ", "mul": " * ", "div": " / "}[c.operator]
    return f"Compute {c.output_column} = {symbol.join(operand_text(o) for o in c.operands)}"


register(
    OpSpec(
        "arithmetic",
        "Arithmetic",
        "columns",
        ArithmeticConfig,
        describe=_describe_arith,
        output_columns=lambda cols, c, o: put_column(cols, c.output_column, _arith_type(cols, c)),
        to_sql=_arith_sql,
        columns_used=lambda c: operand_columns(c.operands),
    )
)


# ---- coalesce --------------------------------------------------------------------------------------


class CoalesceConfig(OpConfig):
    columns: list[str] = Field(min_length=1)
    default: Scalar = None
    output_column: str = Field(min_length=1)


def _coalesce_type(columns: list[ColumnType], config: CoalesceConfig) -> str:
    return common_type([find_column(columns, n).type for n in config.columns] + [literal_type(config.default)])


def _coalesce_sql(config: CoalesceConfig, ctx: StepContext) -> exp.Query:
    target = _coalesce_type(ctx.columns, config)
    args = [as_type(col(n), ctx.type_of(n), target) for n in config.columns]
    if config.default is not None:
        args.append(as_type(lit(config.default), literal_type(config.default), target))
    expression = cast(exp.Coalesce(this=args[0], expressions=args[1:]), target)
    return select(put_expression(ctx.columns, config.output_column, expression), ctx.source)


register(
    OpSpec(
        "coalesce",
        "First non-empty value",
        "columns",
        CoalesceConfig,
        describe=lambda c: (
            f"{c.output_column} = first non-empty of {names(c.columns)}"
            + (f", else {c.default!r}" if c.default is not None else "")
        ),
        output_columns=lambda cols, c, o: put_column(cols, c.output_column, _coalesce_type(cols, c)),
        to_sql=_coalesce_sql,
        columns_used=lambda c: c.columns,
    )
)


# ---- concat ----------------------------------------------------------------------------------------


class ConcatConfig(OpConfig):
    parts: list[Operand] = Field(min_length=1)
    separator: str = ""
    output_column: str = Field(min_length=1)


def _as_text(expression: exp.Expr, type_name: str) -> exp.Expr:
    return expression if kind_of(type_name) == "text" else cast(expression, "VARCHAR")


def _concat_sql(config: ConcatConfig, ctx: StepContext) -> exp.Query:
    parts = [_as_text(operand_sql(p), operand_type(p, ctx.columns)) for p in config.parts]
    expression = dialects.concat_ws(ctx.dialect, config.separator, parts)
    return select(put_expression(ctx.columns, config.output_column, expression), ctx.source)


register(
    OpSpec(
        "concat",
        "Concatenate",
        "columns",
        ConcatConfig,
        describe=lambda c: (
            f"{c.output_column} = {names([operand_text(p) for p in c.parts])} joined"
            + (f" with '{c.separator}'" if c.separator else "")
        ),
        output_columns=lambda cols, c, o: put_column(cols, c.output_column, "VARCHAR"),
        to_sql=_concat_sql,
        columns_used=lambda c: operand_columns(c.parts),
    )
)


# ---- replace (Dalgo: several find → replace pairs, plain text) -------------------------------------


class Replacement(OpConfig):
    find: str = Field(min_length=1)
    replace: str = ""


class ReplaceConfig(OpConfig):
    column: str
    replacements: list[Replacement] = Field(min_length=1)
    output_column: str | None = Field(None, description="default: replace the column")


def _replace_sql(config: ReplaceConfig, ctx: StepContext) -> exp.Query:
    expression: exp.Expr = col(config.column)
    for item in config.replacements:
        expression = exp.func("REPLACE", expression, lit(item.find), lit(item.replace))
    return select(put_expression(ctx.columns, config.output_column or config.column, expression), ctx.source)


def _replace_output(columns: list[ColumnType], config: ReplaceConfig, others: Others) -> list[ColumnType]:
    require_text(columns, config.column, "Replace")
    return put_column(columns, config.output_column or config.column, "VARCHAR")


register(
    OpSpec(
        "replace",
        "Replace text",
        "columns",
        ReplaceConfig,
        describe=lambda c: (
            f"In {c.column} replace " + names([f"'{r.find}' with '{r.replace}'" for r in c.replacements])
        ),
        output_columns=_replace_output,
        to_sql=_replace_sql,
        columns_used=lambda c: [c.column],
    )
)


# ---- regex extract ---------------------------------------------------------------------------------


class RegexExtractConfig(OpConfig):
    column: str
    pattern: str = Field(min_length=1)
    group: int = Field(0, ge=0, le=8, description="0 = the whole match, 1 = the first (...) group")
    output_column: str = Field(min_length=1)


def _regex_sql(config: RegexExtractConfig, ctx: StepContext) -> exp.Query:
    expression = dialects.regexp_extract(ctx.dialect, col(config.column), config.pattern, config.group)
    return select(put_expression(ctx.columns, config.output_column, expression), ctx.source)


def _regex_output(columns: list[ColumnType], config: RegexExtractConfig, others: Others) -> list[ColumnType]:
    require_text(columns, config.column, "Regex extract")
    return put_column(columns, config.output_column, "VARCHAR")


register(
    OpSpec(
        "regex_extract",
        "Extract with a pattern",
        "columns",
        RegexExtractConfig,
        describe=lambda c: f"Extract /{c.pattern}/ from {c.column} into {c.output_column}",
        output_columns=_regex_output,
        to_sql=_regex_sql,
        columns_used=lambda c: [c.column],
    )
)
