"""Cancel an in-process dbt command the way dbt handles Ctrl-C.

dbt stops scheduling nodes and cancels open connections when its main thread sees KeyboardInterrupt. A
cancel request therefore raises KeyboardInterrupt asynchronously in the thread running dbt, and interrupts
the queries already running so the current model does not have to finish first.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Callable
from typing import Any

POLL_SECONDS = 0.05
REPEAT_SECONDS = 0.2


class CancelWatch:
    """Watches `cancel_event` while a dbt command runs in the thread that created this watch."""

    def __init__(self, cancel_event: threading.Event, on_cancel: Callable[[], None] | None = None) -> None:
        self._event = cancel_event
        self._on_cancel = on_cancel
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._active = True
        self._done = threading.Event()
        self.cancelled = False
        self._watcher = threading.Thread(target=self._watch, name="dbt-cancel-watch", daemon=True)

    def start(self) -> None:
        """Start watching (call right before invoking dbt)."""
        self._watcher.start()

    def finish(self) -> None:
        """The command returned: stop watching, and drop an interrupt that was not delivered yet."""
        with self._lock:
            self._active = False
            if self.cancelled:
                _set_async_exc(self._thread_id, None)
        self._done.set()

    def _watch(self) -> None:
        while not self._event.wait(POLL_SECONDS):
            if self._done.is_set():
                return
        with self._lock:
            if not self._active:
                return
            self.cancelled = True
            _set_async_exc(self._thread_id, KeyboardInterrupt)
        # Keep interrupting until dbt returns: a node may start its query just after the first cancel.
        while not self._done.is_set():
            if self._on_cancel is not None:
                self._on_cancel()
            self._done.wait(REPEAT_SECONDS)


def interrupt_running_queries() -> None:
    """Ask every registered dbt adapter to cancel its open queries (DuckDB: interrupt; Postgres: cancel)."""
    try:
        from dbt.adapters.factory import FACTORY
    except ImportError:
        return
    adapters: list[Any] = list(FACTORY.adapters.values())
    for adapter in adapters:
        # Best effort: the KeyboardInterrupt path stops the run even if a cancel fails.
        with contextlib.suppress(Exception):
            adapter.cancel_open_connections()


def _set_async_exc(thread_id: int, exc_type: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type is not None else None
    )
