"""The run engine: order, retries with backoff, stop/continue, warned, unexpected errors, cancel."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from pipelines.errors import Cancelled, ConfigError, NotFoundError, TransientError
from pipelines.runs.engine import PlannedTask, RunEngine, TaskUpdate, backoff_seconds
from pipelines.runs.registry import TaskConfig, TaskIO, TaskKind, TaskRegistry, TaskResult, Unavailable


@dataclass
class ListRecorder:
    updates: list[TaskUpdate] = field(default_factory=list)
    lines: list[tuple[int, str]] = field(default_factory=list)

    def task(self, update: TaskUpdate) -> None:
        self.updates.append(update)

    def log(self, position: int, line: str) -> None:
        self.lines.append((position, line))

    def progress(self, position: int, info: dict[str, Any]) -> None:
        pass


class Script(TaskKind[TaskConfig]):
    """A task kind whose run follows a list of steps: 'ok', 'warn', 'transient', 'terminal', 'boom', 'cancel'."""

    kind = "script"
    display_name = "Script"
    config_model = TaskConfig

    def __init__(self, *steps: str) -> None:
        self.steps = list(steps)
        self.calls = 0

    def run(self, config: TaskConfig, context: Any, io: TaskIO) -> TaskResult:
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if step == "transient":
            raise TransientError("the server said 503", retry_after=None)
        if step == "terminal":
            raise NotFoundError("the table 'households' is gone", hint="sync the source again")
        if step == "boom":
            raise RuntimeError("division by zero in a task")
        if step == "cancel":
            io.cancel.set()
            raise Cancelled()
        return TaskResult(status="warned", message="2 data tests failed") if step == "warn" else TaskResult(rows=3)


def plan(*kinds: Script, on_failure: str = "stop", retries: int = 0) -> list[PlannedTask]:
    return [PlannedTask(k, TaskConfig(), f"task {i}", on_failure, retries) for i, k in enumerate(kinds)]  # type: ignore[arg-type]


def final(recorder: ListRecorder) -> list[str]:
    last: dict[int, str] = {}
    for update in recorder.updates:
        last[update.position] = update.status
    return [last[p] for p in sorted(last)]


def run(tasks: list[PlannedTask], sleeps: list[float] | None = None) -> tuple[Any, ListRecorder]:
    recorder = ListRecorder()
    engine = RunEngine(
        "r1", tasks, None, recorder, sleep=lambda s, _c: (sleeps if sleeps is not None else []).append(s)
    )
    return engine.run(), recorder


def test_tasks_run_in_order_and_the_run_succeeds() -> None:
    outcome, recorder = run(plan(Script("ok"), Script("ok"), Script("ok")))
    assert outcome.status == "succeeded"
    assert final(recorder) == ["succeeded"] * 3
    starts = [u.position for u in recorder.updates if u.status == "running"]
    assert starts == [0, 1, 2]
    assert recorder.updates[-1].rows == 3


def test_a_transient_error_is_retried_with_growing_waits_then_succeeds() -> None:
    flaky, sleeps = Script("transient", "transient", "ok"), []
    outcome, recorder = run(plan(flaky, retries=2), sleeps)
    assert outcome.status == "succeeded"
    assert flaky.calls == 3 and sleeps == [2.0, 4.0]
    assert recorder.updates[-1].attempts == 3


def test_retries_run_out_the_run_fails_naming_the_step_and_later_tasks_are_skipped() -> None:
    outcome, recorder = run(plan(Script("transient"), Script("ok"), retries=1))
    assert outcome.status == "failed"
    assert final(recorder) == ["failed", "skipped"]
    assert outcome.failure.step == "task 0" and "503" in outcome.failure.message


def test_a_terminal_error_is_not_retried_and_carries_the_next_step() -> None:
    broken = Script("terminal")
    outcome, recorder = run(plan(broken, retries=3))
    assert broken.calls == 1
    assert outcome.failure.hint == "sync the source again"
    failed = next(u for u in recorder.updates if u.status == "failed")
    assert failed.error == "the table 'households' is gone"


def test_on_failure_continue_runs_the_later_tasks_and_the_run_ends_failed() -> None:
    later = Script("ok")
    outcome, recorder = run(plan(Script("terminal"), later, on_failure="continue"))
    assert later.calls == 1
    assert final(recorder) == ["failed", "succeeded"]
    assert outcome.status == "failed"


def test_only_warnings_make_a_warned_run() -> None:
    outcome, recorder = run(plan(Script("ok"), Script("warn")))
    assert outcome.status == "warned"
    assert final(recorder) == ["succeeded", "warned"]


def test_an_unexpected_exception_fails_the_run_naming_the_task() -> None:
    outcome, recorder = run(plan(Script("ok"), Script("boom"), Script("ok")))
    assert outcome.status == "failed"
    assert outcome.failure.step == "task 1"
    assert "RuntimeError: division by zero" in outcome.failure.message
    assert final(recorder) == ["succeeded", "failed", "skipped"]
    assert any("Traceback" in line for _p, line in recorder.lines)


def test_cancel_stops_the_current_task_and_marks_the_rest_cancelled() -> None:
    outcome, recorder = run(plan(Script("ok"), Script("cancel"), Script("ok"), Script("ok")))
    assert outcome.status == "cancelled"
    assert final(recorder) == ["succeeded", "cancelled", "cancelled", "cancelled"]


def test_a_cancel_during_the_backoff_does_not_retry() -> None:
    flaky = Script("transient", "ok")
    cancel = threading.Event()
    recorder = ListRecorder()
    engine = RunEngine("r1", plan(flaky, retries=5), None, recorder, cancel, sleep=lambda _s, c: c.set())
    outcome = engine.run()
    assert flaky.calls == 1 and outcome.status == "cancelled"


def test_backoff_honours_retry_after_and_is_capped() -> None:
    assert backoff_seconds(1, retry_after=7) == 7
    assert backoff_seconds(30) == 300


def test_registry_refuses_unknown_and_unavailable_kinds_plainly() -> None:
    class Later(Unavailable):
        kind = "later"
        display_name = "Send to the hosted warehouse"
        unavailable_reason = "comes in a later version."

    registry = TaskRegistry()
    registry.register(Later())
    with pytest.raises(ConfigError, match="no task kind 'nope'"):
        registry.get("nope")
    kind = registry.get("later")
    with pytest.raises(ConfigError, match="not available yet"):
        kind.validate(kind.parse({}), None)
    with pytest.raises(ConfigError, match="Extra inputs"):
        kind.parse({"typo": 1})
