"""The pipeline editor's state: tasks in order, a schedule in the user's local time, and unsaved changes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from desktop.client.pipelines_models import Pipeline, TaskSpec
from desktop.state.pipeline_words import local_zone, schedule_text

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class TaskDraft:
    """One task row: its kind and what it works on; None for streams/select means 'all'."""

    kind: str = "sync"
    source_id: str | None = None
    streams: list[str] | None = None
    select: list[str] | None = None
    on_failure: str = "stop"
    retries: int = 0

    @classmethod
    def of(cls, task: TaskSpec) -> TaskDraft:
        return cls(task.kind, task.source_id, task.streams, task.select, task.on_failure, task.retries)

    def spec(self) -> TaskSpec:
        source = self.source_id if self.kind == "sync" else None
        streams = self.streams if self.kind == "sync" else None
        select = self.select if self.kind in ("transform", "test") else None
        return TaskSpec(
            kind=self.kind,
            source_id=source,
            streams=streams,
            select=select,
            on_failure=self.on_failure,
            retries=self.retries,
        )

    def problem(self, number: int) -> str | None:
        """What the server would refuse, said before asking it."""
        if self.kind == "sync" and not self.source_id:
            return f"Task {number}: choose the source to bring data in from."
        if self.kind == "sync" and self.streams is not None and not self.streams:
            return f"Task {number}: tick at least one table, or choose 'All tables'."
        if self.kind in ("transform", "test") and self.select is not None and not self.select:
            return f"Task {number}: pick at least one cleaned table, or choose 'All'."
        return None


@dataclass
class ScheduleDraft:
    """When it runs, as the user enters it: a local time in their own zone (the server stores zone + time)."""

    kind: str = "manual"
    time: str = "09:00"
    days: list[str] = field(default_factory=lambda: ["mon"])
    cron: str = ""
    timezone: str = field(default_factory=local_zone)
    missed: str = "catch_up_once"

    @classmethod
    def of(cls, pipeline: Pipeline | None) -> ScheduleDraft:
        s = pipeline.schedule if pipeline else None
        if s is None:
            return cls()
        return cls(s.kind, s.time or "09:00", list(s.days or ["mon"]), s.cron or "", s.timezone, s.missed)

    def body(self) -> dict[str, Any]:
        """The schedule as POST/PATCH /pipelines takes it."""
        body: dict[str, Any] = {"kind": self.kind, "timezone": self.timezone, "missed": self.missed}
        if self.kind in ("daily", "weekly"):
            body["time"] = self.time
        if self.kind == "weekly":
            body["days"] = list(self.days)
        if self.kind == "cron":
            body["cron"] = self.cron.strip()
        return body

    def text(self) -> str:
        """'Every Monday and Thursday at 09:00 Africa/Nairobi'."""
        return schedule_text(self.kind, self.time, self.days, self.cron, self.timezone)

    def problem(self) -> str | None:
        if self.kind in ("daily", "weekly") and not _TIME.match(self.time):
            return f"Write the time as hours:minutes on a 24-hour clock, e.g. 09:00 (not “{self.time}”)."
        if self.kind == "weekly" and not self.days:
            return "Tick at least one day of the week."
        if self.kind == "cron" and len(self.cron.split()) != 5:
            return "A custom schedule has five parts: minute hour day month weekday, e.g. “0 9 * * 1-5”."
        return None

    def key(self) -> tuple[Any, ...]:
        """What matters for 'unsaved': fields the chosen kind does not use are ignored."""
        body = self.body()
        return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in body.items()))


@dataclass
class PipelineDraft:
    """The whole editor: name, tasks in run order, schedule, active; compared with what is saved."""

    name: str = ""
    tasks: list[TaskDraft] = field(default_factory=list)
    schedule: ScheduleDraft = field(default_factory=ScheduleDraft)
    enabled: bool = True
    pipeline_id: str | None = None
    _saved: tuple[Any, ...] = ()

    @classmethod
    def new(cls) -> PipelineDraft:
        draft = cls(tasks=[TaskDraft("sync"), TaskDraft("transform")])
        draft._saved = ("", (), ScheduleDraft().key(), True)  # a new pipeline is unsaved once anything is typed
        return draft

    @classmethod
    def of(cls, pipeline: Pipeline) -> PipelineDraft:
        draft = cls(
            pipeline.name,
            [TaskDraft.of(t) for t in pipeline.tasks],
            ScheduleDraft.of(pipeline),
            pipeline.enabled,
            pipeline.id,
        )
        draft.mark_saved()
        return draft

    def key(self) -> tuple[Any, ...]:
        tasks = tuple(json.dumps(t.spec().body(), sort_keys=True) for t in self.tasks)
        return (self.name.strip(), tasks, self.schedule.key(), self.enabled)

    def mark_saved(self) -> None:
        self._saved = self.key()

    @property
    def unsaved(self) -> bool:
        return self.key() != self._saved

    # --- task rows ------------------------------------------------------------------------------
    def add(self, kind: str = "sync") -> TaskDraft:
        task = TaskDraft(kind)
        self.tasks.append(task)
        return task

    def remove(self, index: int) -> None:
        del self.tasks[index]

    def move(self, index: int, delta: int) -> int:
        """Move a task up (-1) or down (+1); returns its new place (unchanged at either end)."""
        target = index + delta
        if 0 <= index < len(self.tasks) and 0 <= target < len(self.tasks):
            self.tasks[index], self.tasks[target] = self.tasks[target], self.tasks[index]
            return target
        return index

    def problem(self) -> str | None:
        """The first thing to fix before saving, in words; None when the server may judge it."""
        if not self.name.strip():
            return "Give the pipeline a name, e.g. 'Monthly household survey'."
        if not self.tasks:
            return "Add at least one task: what should the pipeline do?"
        for number, task in enumerate(self.tasks, start=1):
            if problem := task.problem(number):
                return problem
        return self.schedule.problem()

    def specs(self) -> list[TaskSpec]:
        return [t.spec() for t in self.tasks]

    def copy(self) -> PipelineDraft:
        tasks = [replace(t) for t in self.tasks]
        schedule = replace(self.schedule, days=list(self.schedule.days))
        return PipelineDraft(self.name, tasks, schedule, self.enabled, self.pipeline_id, self._saved)
