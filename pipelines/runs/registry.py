"""One task registry: a task kind is one class (id, display name, typed config, validate, run)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from pipelines.errors import ConfigError

C = TypeVar("C", bound=BaseModel)
Outcome = Literal["succeeded", "warned"]
Progress = Callable[[dict[str, Any]], None]


class TaskConfig(BaseModel):
    """Base of every kind's config: unknown fields are refused, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class TaskResult:
    """What a task reports when it ends without an error: warned means 'ran, with problems to look at'."""

    status: Outcome = "succeeded"
    rows: int | None = None
    message: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskIO:
    """What a running task gets besides its config: a log, progress reporting and the cancel flag."""

    run_id: str
    position: int
    log: Callable[[str], None]
    progress: Progress
    cancel: threading.Event


class TaskKind(Generic[C]):
    """A kind of task. Subclasses set `kind`, `display_name`, `config_model` and implement validate/run."""

    kind: ClassVar[str]
    display_name: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]
    available: ClassVar[bool] = True
    unavailable_reason: ClassVar[str] = ""

    def parse(self, raw: dict[str, Any]) -> C:
        """The typed config, or ConfigError naming what is wrong."""
        try:
            return self.config_model.model_validate(raw)  # type: ignore[return-value]
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in err.errors())
            raise ConfigError(f"{self.display_name}: {problems}", hint="Correct the task and save again.") from err

    def describe(self, config: C, context: Any) -> str:
        """The task in plain words for lists and history."""
        return self.display_name

    def validate(self, config: C, context: Any) -> None:
        """Raise a TerminalError naming what the task refers to and no longer exists."""

    def run(self, config: C, context: Any, io: TaskIO) -> TaskResult:
        raise NotImplementedError


class Unavailable(TaskKind[TaskConfig]):
    """A registered kind that a later version fills: refused on save with a clear reason, never faked."""

    config_model = TaskConfig
    available = False

    def validate(self, config: TaskConfig, context: Any) -> None:
        raise ConfigError(
            f"'{self.display_name}' is not available yet: {self.unavailable_reason}",
            hint="Remove this task for now; it will be offered when this version of Dalgo supports it.",
        )

    def run(self, config: TaskConfig, context: Any, io: TaskIO) -> TaskResult:
        self.validate(config, context)
        return TaskResult()


class TaskRegistry:
    """kind id → the TaskKind that runs it."""

    def __init__(self) -> None:
        self._kinds: dict[str, TaskKind[Any]] = {}

    def register(self, kind: TaskKind[Any]) -> None:
        self._kinds[kind.kind] = kind

    def get(self, kind: str) -> TaskKind[Any]:
        found = self._kinds.get(kind)
        if found is None:
            known = ", ".join(sorted(self._kinds))
            raise ConfigError(f"There is no task kind '{kind}'.", hint=f"Use one of: {known}.")
        return found

    def __iter__(self) -> Iterator[TaskKind[Any]]:
        return iter(self._kinds.values())

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds
