"""A recipe: an input table or model and an ordered list of typed steps."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.naming import normalise_identifier
from pipelines.recipes.core import ModelInput, RecipeInput, Scalar, TableInput
from pipelines.recipes.ops import OPERATIONS


def new_step_id() -> str:
    return uuid.uuid4().hex[:12]


class Step(BaseModel):
    """One step: `op` names an operation, `config` is validated against that operation's model."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_step_id, min_length=1)
    op: str
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    description: str = ""

    @model_validator(mode="after")
    def _validate_config(self) -> Step:
        spec = OPERATIONS.get(self.op)
        if spec is None:
            raise ValueError(f"unknown operation '{self.op}'; known: {', '.join(sorted(OPERATIONS))}")
        parsed = spec.parse(self.config)
        self.config = parsed.model_dump(mode="json", by_alias=True, exclude_defaults=False)
        self.description = spec.describe(parsed)
        return self

    @property
    def spec(self) -> Any:
        return OPERATIONS[self.op]

    def parsed(self) -> Any:
        """The config as the operation's pydantic model."""
        return OPERATIONS[self.op].parse(self.config)

    def inputs(self) -> list[TableInput | ModelInput]:
        """Other tables/models this step reads (join/union)."""
        return OPERATIONS[self.op].inputs(self.config)


class ColumnTest(BaseModel):
    """A dbt test on an output column."""

    model_config = ConfigDict(extra="forbid")

    column: str
    test: Literal["not_null", "unique", "accepted_values"]
    values: list[Scalar] = Field(default_factory=list, description="for accepted_values")
    severity: Literal["warn", "error"] = "error"

    @model_validator(mode="after")
    def _values(self) -> ColumnTest:
        if self.test == "accepted_values" and not self.values:
            raise ValueError("accepted_values needs the list of values")
        return self


class Recipe(BaseModel):
    """An input and steps; saved as one dbt model named `model_name`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    input: RecipeInput
    steps: list[Step] = Field(default_factory=list)
    description: str = ""
    column_descriptions: dict[str, str] = Field(default_factory=dict)
    tests: list[ColumnTest] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Recipe:
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        return self

    @property
    def model_name(self) -> str:
        """The dbt model (and table) name: the recipe name as a safe identifier."""
        return normalise_identifier(self.name, fallback="recipe")

    def inputs(self) -> list[TableInput | ModelInput]:
        """Every table/model the recipe reads: its input and the right side of joins and unions."""
        found: list[TableInput | ModelInput] = [self.input]
        for step in self.steps:
            if step.enabled:
                found.extend(step.inputs())
        return found

    def index_of(self, step_id: str) -> int:
        """1-based position of a step."""
        for i, step in enumerate(self.steps, start=1):
            if step.id == step_id:
                return i
        raise KeyError(step_id)
