"""A run on screen (live: polled, with the running task's log tailing; past: whole logs) and a pipeline's history."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from desktop.client import DalgoClient
from desktop.client.models import Membership, Page
from desktop.client.pipelines_models import Run, RunDetail, TaskLog
from desktop.state.events import Event
from desktop.state.session import AppState

HISTORY_PAGE = 20
NO_LOG_YET = ("queued", "skipped")


class RunView:
    """One run's detail and task logs; while it runs, polled every `poll_interval` s, logs read from an offset."""

    def __init__(self, app: AppState, poll_interval: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.poll_interval = poll_interval
        self._sleep = sleep
        self.run: RunDetail | None = None
        self.logs: dict[int, str] = {}
        self.offsets: dict[int, int] = {}
        self.logs_done: set[int] = set()
        self.changed = Event()  # () — detail or a log moved on
        self.ended = Event()  # (RunDetail) — a run watched live has finished
        self._token = 0
        app.org_changed.connect(self._org_changed)

    def _org_changed(self, _membership: Membership | None) -> None:
        self.clear()

    def clear(self) -> None:
        """Show nothing and stop any polling chain (its answers are dropped)."""
        self._token += 1
        self.run, self.logs, self.offsets, self.logs_done = None, {}, {}, set()
        self.changed.emit()

    @property
    def following(self) -> bool:
        return self.run is not None and self.run.active

    def show(self, run_id: str) -> None:
        """Open a run: its tasks at once, then logs; a run still going is followed until it ends."""
        if self.run is not None and self.run.id == run_id:
            return
        self.clear()
        self._poll(run_id, self._token, delay=0.0, was_active=None)

    def log_text(self, position: int) -> str:
        return self.logs.get(position, "")

    def running_position(self) -> int | None:
        """The task being run now, whose log tails on screen."""
        if self.run is None:
            return None
        return next((t.position for t in self.run.tasks if t.status == "running"), None)

    def _poll(self, run_id: str, token: int, delay: float, was_active: bool | None) -> None:
        if self.app.client is None or self.app.org is None:
            return
        client, slug = self.app.client, self.app.org.org.slug
        wanted = {pos: off for pos, off in self.offsets.items()}
        done_logs = set(self.logs_done)

        def work() -> tuple[RunDetail, dict[int, TaskLog]]:
            if delay:
                self._sleep(delay)
            run = client.get_run(run_id, org=slug)
            logs = {}
            for task in run.tasks:
                if task.status not in NO_LOG_YET and task.position not in done_logs:
                    logs[task.position] = client.task_log(run_id, task.position, wanted.get(task.position, 0), org=slug)
            return run, logs

        def done(result: tuple[RunDetail, dict[int, TaskLog]]) -> None:
            if token != self._token:
                return
            run, logs = result
            self.run = run
            moved = self._take_logs(run, logs)
            self.changed.emit()
            if run.active or (moved and self._logs_pending(run)):
                self._poll(run_id, token, self.poll_interval if run.active else 0.0, run.active)
            if was_active and not run.active:
                self.ended.emit(run)

        def failed(err: BaseException) -> None:
            if token == self._token:
                self.app.handle_error(err)

        self.app.submit(work, done, failed)

    def _take_logs(self, run: RunDetail, logs: dict[int, TaskLog]) -> bool:
        """Append what each log gained; returns whether any log moved on (a long past log comes in pages)."""
        moved = False
        ended = {t.position for t in run.tasks if t.status not in ("queued", "running")}
        for position, log in logs.items():
            before = self.offsets.get(position, 0)
            self.logs[position] = self.logs.get(position, "") + log.text
            self.offsets[position] = log.next_offset
            moved = moved or log.next_offset > before
            if log.finished or (position in ended and log.next_offset == before):
                self.logs_done.add(position)
        return moved

    def _logs_pending(self, run: RunDetail) -> bool:
        return any(t.position not in self.logs_done and t.status not in NO_LOG_YET for t in run.tasks)


class RunHistory:
    """A pipeline's runs, newest first, filtered by status and dates, a page at a time."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.pipeline_id: str | None = None
        self.runs: list[Run] = []
        self.total = 0
        self.offset = 0
        self.limit = HISTORY_PAGE
        self.status: str | None = None
        self.since: datetime | None = None
        self.until: datetime | None = None  # the day picked: runs up to the end of it
        self.loading = False
        self.changed = Event()  # ()
        self._token = 0
        app.org_changed.connect(lambda _m: self.clear())

    def clear(self) -> None:
        self._token += 1
        self.pipeline_id, self.runs, self.total, self.offset = None, [], 0, 0
        self.changed.emit()

    def open(self, pipeline_id: str) -> None:
        if pipeline_id != self.pipeline_id:
            self.pipeline_id, self.offset, self.runs, self.total = pipeline_id, 0, [], 0
        self.load()

    def filter(self, status: str | None, since: datetime | None = None, until: datetime | None = None) -> None:
        """Narrow the list (None: any); starts again at the newest run."""
        self.status, self.since, self.until, self.offset = status or None, since, until, 0
        self.load()

    def page(self, delta: int) -> None:
        """The next (+1) or previous (-1) page, within the list."""
        offset = self.offset + delta * self.limit
        if 0 <= offset < max(self.total, 1):
            self.offset = offset
            self.load()

    @property
    def page_text(self) -> str:
        if not self.total:
            return "No runs"
        return f"{self.offset + 1} to {self.offset + len(self.runs)} of {self.total}"

    def load(self) -> None:
        if self.pipeline_id is None or self.app.client is None or self.app.org is None:
            return
        client, slug, token, pipeline_id = self.app.client, self.app.org.org.slug, self._token, self.pipeline_id
        until = self.until + timedelta(days=1) if self.until else None
        status, since, offset, limit = self.status, self.since, self.offset, self.limit

        def work() -> Page[Run]:
            return client.list_runs(
                pipeline_id, limit=limit, offset=offset, status=status, since=since, until=until, org=slug
            )

        def done(page: Page[Run]) -> None:
            if token == self._token and pipeline_id == self.pipeline_id:
                self.runs, self.total, self.loading = list(page.items), page.total, False
                self.changed.emit()

        def failed(err: BaseException) -> None:
            self.loading = False
            self.changed.emit()
            self.app.handle_error(err)

        self.loading = True
        self.app.submit(work, done, failed)


def scoped(app: AppState) -> tuple[DalgoClient, str]:
    """The client and org at the moment of the click, so a later org switch cannot redirect the call."""
    if app.client is None or app.org is None:
        raise RuntimeError("no active organisation")
    return app.client, app.org.org.slug
