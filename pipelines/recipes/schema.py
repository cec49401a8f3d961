"""Schema propagation: the columns after every step, computed from the input columns alone, plus
non-raising validation (a broken recipe still opens) and recipe-cycle detection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelines.recipes.core import ColumnType, MissingColumn, RecipeError, StepConfigError
from pipelines.recipes.model import Recipe, Step
from pipelines.recipes.ops.base import Others

ColumnsLike = Sequence[ColumnType | tuple[str, str]]


@dataclass(frozen=True)
class StepProblem:
    """Why one step cannot run, for the step list in the UI."""

    step: int
    step_id: str
    description: str
    message: str
    column: str | None = None
    hint: str | None = None


def as_columns(columns: ColumnsLike) -> list[ColumnType]:
    """Accept `ColumnType`s or `(name, type)` pairs."""
    return [c if isinstance(c, ColumnType) else ColumnType(name=c[0], type=c[1]) for c in columns]


def step_error(
    number: int, step: Step, err: StepConfigError, history: list[list[ColumnType]] | None = None
) -> RecipeError:
    """A RecipeError naming the step number, its description and the column."""
    message = err.message
    hint = err.hint
    if isinstance(err, MissingColumn) and err.column is not None:
        message, hint = _missing_column_text(err.column, history or [], hint)
    return RecipeError(
        f"Step {number} ({step.description}): {message}", hint=hint, step=number, step_id=step.id, column=err.column
    )


def _missing_column_text(column: str, history: list[list[ColumnType]], hint: str | None) -> tuple[str, str | None]:
    """Say which earlier step removed the column, when one did."""
    for index in range(len(history) - 1, 0, -1):
        before = {c.name for c in history[index - 1]}
        after = {c.name for c in history[index]}
        if column in before and column not in after:
            return (
                f"uses column '{column}', which step {index} removed or renamed",
                hint or f"edit step {index} to keep '{column}', or change this step to use another column",
            )
    return f"uses column '{column}', which does not exist", hint or "pick a column of the input"


def infer_columns(
    recipe: Recipe,
    input_columns: ColumnsLike,
    other_inputs: Others | None = None,
    *,
    upto: int | None = None,
) -> list[list[ColumnType]]:
    """Columns after each step (one list per step; a disabled step passes its input through).

    Raises RecipeError for the first step that does not fit its input."""
    columns = as_columns(input_columns)
    history = [columns]  # history[i] = columns after step i (0 = input)
    result: list[list[ColumnType]] = []
    for number, step in enumerate(recipe.steps[:upto], start=1):
        if step.enabled:
            try:
                columns = step.spec.output_columns(columns, step.config, other_inputs or {})
            except StepConfigError as err:
                raise step_error(number, step, err, history) from err
        history.append(columns)
        result.append(columns)
    return result


def validate(
    recipe: Recipe,
    input_columns: ColumnsLike,
    other_inputs: Others | None = None,
    *,
    models: Mapping[str, Recipe | Sequence[str]] | None = None,
) -> list[StepProblem]:
    """Every problem of the recipe, without raising; a broken step passes its input through."""
    problems: list[StepProblem] = []
    if models is not None:
        try:
            check_cycles(recipe, models)
        except RecipeError as err:
            problems.append(StepProblem(0, "", "Recipe input", err.message, hint=err.hint))
    columns = as_columns(input_columns)
    history = [columns]
    for number, step in enumerate(recipe.steps, start=1):
        if step.enabled:
            try:
                columns = step.spec.output_columns(columns, step.config, other_inputs or {})
            except StepConfigError as err:
                error = step_error(number, step, err, history)
                problems.append(StepProblem(number, step.id, step.description, error.message, err.column, error.hint))
        history.append(columns)
    return problems


def check_cycles(recipe: Recipe, models: Mapping[str, Recipe | Sequence[str]]) -> None:
    """RecipeError when the recipe reads itself, directly or through other models.

    `models` maps a model name to its recipe, or to the names of the models it reads."""
    graph = {name: _model_deps(value) for name, value in models.items()}
    graph[recipe.model_name] = _model_deps(recipe)
    path = _find_path(graph, recipe.model_name)
    if path:
        chain = " → ".join(path)
        raise RecipeError(
            f"Recipe '{recipe.model_name}' depends on itself: {chain}",
            hint="a recipe cannot read its own output; pick the raw table or an earlier model as input",
        )


def _model_deps(value: Recipe | Sequence[str]) -> list[str]:
    if isinstance(value, Recipe):
        return [i.model for i in value.inputs() if i.kind == "model"]
    return list(value)


def _find_path(graph: Mapping[str, list[str]], start: str) -> list[str] | None:
    """A path start → ... → start, if there is one (depth-first, iterative)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
