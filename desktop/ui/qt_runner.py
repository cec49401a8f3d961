"""QtRunner: runs view-model work on a QThreadPool and delivers results on the UI thread."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from desktop.state.runner import Done, Failed


class _Bridge(QObject):
    """Lives on the UI thread; worker threads emit its signals, queued delivery brings them home."""

    finished = Signal(int, bool, object)

    def __init__(self) -> None:
        super().__init__()
        self.callbacks: dict[int, tuple[Done, Failed]] = {}
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, payload: object) -> None:
        on_done, on_error = self.callbacks.pop(task_id)
        if ok:
            on_done(payload)
        else:
            on_error(payload)  # type: ignore[arg-type]


class _Task(QRunnable):
    def __init__(self, task_id: int, work: Callable[[], Any], bridge: _Bridge) -> None:
        super().__init__()
        self.task_id, self.work, self.bridge = task_id, work, bridge

    def run(self) -> None:
        try:
            result = self.work()
        except BaseException as err:  # every failure goes back to the UI thread, none is lost in a worker
            self.bridge.finished.emit(self.task_id, False, err)
            return
        self.bridge.finished.emit(self.task_id, True, result)


class QtRunner:
    """The app's Runner: never blocks the UI thread; `pending` counts tasks not yet delivered."""

    def __init__(self, pool: QThreadPool | None = None) -> None:
        self.pool = pool or QThreadPool()
        self.pool.setMaxThreadCount(max(4, self.pool.maxThreadCount()))
        self._bridge = _Bridge()
        self._ids = itertools.count(1)

    @property
    def pending(self) -> int:
        return len(self._bridge.callbacks)

    def submit(self, work: Callable[[], Any], on_done: Done, on_error: Failed) -> None:
        task_id = next(self._ids)
        self._bridge.callbacks[task_id] = (on_done, on_error)
        self.pool.start(_Task(task_id, work, self._bridge))

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Wait for running work (at shutdown); undelivered results are dropped."""
        return self.pool.waitForDone(timeout_ms)
