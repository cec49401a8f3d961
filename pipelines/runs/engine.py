"""Execute a run: tasks in order, transient errors retried with backoff, failure policy, clean cancel."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pipelines.errors import Cancelled, PipelineError, StepFailed, TransientError
from pipelines.runs.registry import TaskIO, TaskKind, TaskResult

RunStatus = Literal["succeeded", "failed", "warned", "cancelled"]
TaskStatus = Literal["queued", "running", "succeeded", "failed", "warned", "skipped", "cancelled"]
MAX_BACKOFF_SECONDS = 300.0


@dataclass
class PlannedTask:
    """A task ready to run: its kind, typed config, name in plain words and failure policy."""

    kind: TaskKind[Any]
    config: Any
    name: str
    on_failure: Literal["stop", "continue"] = "stop"
    retries: int = 0


@dataclass
class TaskUpdate:
    """A change of one task's record, handed to the recorder."""

    position: int
    status: TaskStatus
    attempts: int = 0
    rows: int | None = None
    error: str | None = None
    hint: str | None = None
    details: dict[str, Any] | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Recorder(Protocol):
    """Where a run writes what happens (the app DB in the server, a list in tests)."""

    def task(self, update: TaskUpdate) -> None: ...

    def log(self, position: int, line: str) -> None: ...

    def progress(self, position: int, info: dict[str, Any]) -> None: ...


@dataclass
class RunOutcome:
    status: RunStatus
    failure: StepFailed | None = None
    statuses: list[TaskStatus] = field(default_factory=list)


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """2, 4, 8 … seconds (capped), or what the remote system asked for."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_BACKOFF_SECONDS)
    return min(2.0**attempt, MAX_BACKOFF_SECONDS)


def now() -> datetime:
    return datetime.now(UTC)


class RunEngine:
    """Runs one pipeline run's tasks; `sleep` waits between retries and returns early on cancel."""

    def __init__(
        self,
        run_id: str,
        tasks: list[PlannedTask],
        context: Any,
        recorder: Recorder,
        cancel: threading.Event | None = None,
        sleep: Callable[[float, threading.Event], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self.tasks = tasks
        self.context = context
        self.recorder = recorder
        self.cancel = cancel or threading.Event()
        self.sleep = sleep or (lambda seconds, cancel: cancel.wait(seconds))
        self.statuses: list[TaskStatus] = ["queued"] * len(tasks)

    def run(self) -> RunOutcome:
        """Every task ends in a final status; the run's status follows from them."""
        first_failure: StepFailed | None = None
        for position, task in enumerate(self.tasks):
            if self.cancel.is_set():
                self._close_rest(position, "cancelled")
                break
            failure = self._run_task(position, task)
            if self.statuses[position] == "cancelled":
                self._close_rest(position + 1, "cancelled")
                break
            if failure is not None:
                first_failure = first_failure or failure
                if task.on_failure == "stop":
                    self._close_rest(position + 1, "skipped")
                    break
        return RunOutcome(self._status(), first_failure, list(self.statuses))

    def _status(self) -> RunStatus:
        if "cancelled" in self.statuses:
            return "cancelled"
        if "failed" in self.statuses:
            return "failed"
        return "warned" if "warned" in self.statuses else "succeeded"

    def _close_rest(self, start: int, status: TaskStatus) -> None:
        for position in range(start, len(self.tasks)):
            self._set(TaskUpdate(position, status, finished_at=now()))

    def _set(self, update: TaskUpdate) -> None:
        self.statuses[update.position] = update.status
        self.recorder.task(update)

    def _run_task(self, position: int, task: PlannedTask) -> StepFailed | None:
        """One task with its retries; returns the failure when it ended failed."""
        started, attempt = now(), 0
        io = TaskIO(
            self.run_id,
            position,
            lambda line: self.recorder.log(position, line),
            lambda info: self.recorder.progress(position, info),
            self.cancel,
        )
        while True:
            attempt += 1
            self._set(TaskUpdate(position, "running", attempts=attempt, started_at=started))
            try:
                result = task.kind.run(task.config, self.context, io)
            except Cancelled:
                io.log("cancelled by the user")
                self._set(TaskUpdate(position, "cancelled", attempts=attempt, finished_at=now()))
                return None
            except TransientError as err:
                if attempt <= task.retries and not self.cancel.is_set():
                    wait = backoff_seconds(attempt, err.retry_after)
                    io.log(f"attempt {attempt} failed ({err.message}); retrying in {wait:.0f} s")
                    self.sleep(wait, self.cancel)
                    if self.cancel.is_set():  # cancelled while waiting to retry: stop here, tables untouched
                        self._set(TaskUpdate(position, "cancelled", attempts=attempt, finished_at=now()))
                        return None
                    continue
                return self._failed(position, task, attempt, err)
            except PipelineError as err:
                return self._failed(position, task, attempt, err)
            except Exception as err:  # a bug in a task must still end the run visibly, naming the task
                io.log("failed unexpectedly:\n" + traceback.format_exc())
                return self._failed(position, task, attempt, _unexpected(err))
            self._succeeded(position, attempt, result, io)
            return None

    def _succeeded(self, position: int, attempt: int, result: TaskResult, io: TaskIO) -> None:
        if result.message:
            io.log(result.message)
        status: TaskStatus = "warned" if result.status == "warned" else "succeeded"
        self._set(
            TaskUpdate(
                position,
                status,
                attempts=attempt,
                rows=result.rows,
                error=result.message if status == "warned" else None,
                details=result.details or None,
                finished_at=now(),
            )
        )

    def _failed(self, position: int, task: PlannedTask, attempt: int, cause: PipelineError) -> StepFailed:
        failure = StepFailed(task.name, self.run_id, cause)
        self.recorder.log(position, f"failed: {cause}")
        self._set(
            TaskUpdate(
                position,
                "failed",
                attempts=attempt,
                error=cause.message,
                hint=cause.hint,
                details=getattr(cause, "result", None),
                finished_at=now(),
            )
        )
        return failure


def _unexpected(err: Exception) -> PipelineError:
    return PipelineError(
        f"An unexpected error stopped this task: {type(err).__name__}: {err}",
        hint="This is a fault in Dalgo, not in your data; the task log has the details to report.",
    )
