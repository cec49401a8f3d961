"""How view models run blocking work: off the UI thread in the app, inline in headless tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Runner(Protocol):
    """Runs `work()` somewhere, then calls `on_done(result)` or `on_error(exc)` on the caller's (UI) thread."""

    def submit(self, work: Callable[[], Any], on_done: Done, on_error: Failed) -> None: ...


class InlineRunner:
    """Runs work at once on the calling thread: view models behave the same, minus the threads."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, work: Callable[[], Any], on_done: Done, on_error: Failed) -> None:
        self.calls += 1
        try:
            result = work()
        except Exception as err:
            on_error(err)
            return
        on_done(result)
