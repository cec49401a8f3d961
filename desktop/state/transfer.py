"""Progress of an upload, download or other long call: written by the worker thread, polled by the UI."""

from __future__ import annotations

import threading


def human_bytes(n: float) -> str:
    """1536 → '1.5 kB' (decimal units, as file managers show them)."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


class Transfer:
    """Bytes done of bytes in all (None when unknown), a cancel flag, and whether the work has ended."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._lock = threading.Lock()
        self._done = 0
        self._total: int | None = None
        self._cancel = threading.Event()
        self.finished = False

    def report(self, done: int, total: int | None) -> None:
        with self._lock:
            self._done, self._total = done, total

    def snapshot(self) -> tuple[int, int | None]:
        with self._lock:
            return self._done, self._total

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def percent(self) -> int | None:
        done, total = self.snapshot()
        if not total:
            return None
        return min(100, round(100 * done / total))

    def text(self) -> str:
        done, total = self.snapshot()
        amount = f"{human_bytes(done)} of {human_bytes(total)}" if total else human_bytes(done)
        return f"{self.what}: {amount}"
