"""Sync now, its progress (polled off the UI thread every ~0.5 s), cancel, and each source's sync history."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from desktop.client import DalgoClient
from desktop.client.data_models import Job, JobStarted, Source
from desktop.client.errors import Conflict
from desktop.client.models import Membership, Page
from desktop.state import words
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.session import AppState
from desktop.state.transfer import human_bytes

STATUS_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


# --- words for a job ---------------------------------------------------------------------------------
def elapsed_text(seconds: float | None) -> str:
    """0.42 → '0.4 s', 75 → '1 min 15 s'."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def when_text(moment: datetime | None) -> str:
    """A server time (UTC) in the computer's time zone: '28 Nov 14:05'."""
    return moment.astimezone().strftime("%d %b %H:%M") if moment else "—"


def job_rows(job: Job | None) -> int | None:
    """Rows loaded (all streams, main tables) by a finished job, or so far by a running one."""
    if job is None:
        return None
    if job.result and isinstance(job.result.get("rows"), int):
        return int(job.result["rows"])
    rows = job.progress.get("rows")
    return int(rows) if isinstance(rows, int) else None


def error_text(job: Job) -> str:
    """The job's error in plain words, with what to do: 'Kobo token rejected → edit the source …'."""
    if not job.error:
        return ""
    return f"{job.error} → {job.error_hint}" if job.error_hint else job.error


def progress_fraction(job: Job) -> tuple[int, int] | None:
    """(rows, total) while the connector knows how many records the stream has (Kobo's `count`), else None."""
    rows, total = job.progress.get("rows"), job.progress.get("total")
    if isinstance(rows, int) and isinstance(total, int) and 0 < total >= rows:
        return rows, total
    return None


def progress_text(job: Job) -> str:
    """'Stream household_survey · 1,200 rows · 3.4 MB · 12 s' for the progress box."""
    if job.status == "queued":
        return "Waiting to start…"
    progress = job.progress
    parts = []
    if progress.get("stream"):
        table = progress.get("table")
        extra = f" → {table}" if table and table != progress["stream"] else ""
        parts.append(f"Table {progress['stream']}{extra}")
    fraction = progress_fraction(job)
    rows = f"{fraction[0]:,} of {fraction[1]:,}" if fraction else f"{int(progress.get('rows') or 0):,}"
    parts.append(f"{rows} rows")
    if progress.get("bytes"):
        parts.append(human_bytes(int(progress["bytes"])))
    parts.append(elapsed_text(job.elapsed_s or 0.0))
    return " · ".join(parts)


def stream_lines(job: Job) -> list[str]:
    """Per-stream row counts of a finished sync, child tables indented below their stream."""
    lines = []
    for name, stream in ((job.result or {}).get("streams") or {}).items():
        lines.append(
            f"{name}: {int(stream.get('rows') or 0):,} rows ({str(stream.get('sync_mode', '')).replace('_', ' ')})"
        )
        for table, rows in (stream.get("rows_by_table") or {}).items():
            if table != name:
                lines.append(f"    {table}: {int(rows):,} rows")
    return lines


def details_text(job: Job) -> str:
    """Everything about one run, for the history panel: rows per stream, schema changes, warnings, error."""
    who = f" by {job.created_by_email}" if job.created_by_email else ""
    lines = [f"{STATUS_LABELS.get(job.status, job.status)} — started {when_text(job.started_at or job.created_at)}{who}, "
             f"took {elapsed_text(job.elapsed_s)}."]  # fmt: skip
    streams = stream_lines(job)
    if streams:
        lines += ["", "Rows loaded:", *(f"  {line}" for line in streams)]
    changes = (job.result or {}).get("schema_changes") or []
    if changes:
        lines += ["", "Column changes:", *(f"  • {c.get('message') or c}" for c in changes)]
    warnings = (job.result or {}).get("warnings") or []
    if warnings:
        lines += ["", "Warnings:", *(f"  • {w}" for w in warnings)]
    if job.error:
        lines += ["", f"What went wrong: {job.error}"]
        if job.error_hint:
            lines.append(f"What to do: {job.error_hint}")
    return "\n".join(lines)


def summary_text(job: Job) -> str:
    """One line for the history table: rows, or the error, or the number of schema changes."""
    if job.status == "failed":
        return error_text(job)
    if job.active:
        return progress_text(job)
    parts = []
    rows = job_rows(job)
    if rows is not None:
        parts.append(f"{rows:,} rows")
    changes = len((job.result or {}).get("schema_changes") or [])
    if changes:
        parts.append(words.plural(changes, "column change"))
    if job.status == "cancelled":
        parts.append("cancelled; the previous data is intact")
    return ", ".join(parts)


# --- the model ---------------------------------------------------------------------------------------
class SourceSyncs:
    """Running syncs by source id (latest polled state), and the history of the source on show."""

    def __init__(self, app: AppState, poll_interval: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.poll_interval = poll_interval
        self._sleep = sleep
        self.current: dict[str, Job] = {}  # source id → its latest sync job as last polled
        self.history: list[Job] = []
        self.history_source: str | None = None
        self.history_loading = False
        self.progress_changed = Event()  # (source_id)
        self.finished = Event()  # (source_id, Job)
        self.history_changed = Event()  # ()
        self.log_loaded = Event()  # (job_id, text)
        self._polling: set[str] = set()
        self._generation = 0
        app.org_changed.connect(self._org_changed)

    def _org_changed(self, _membership: Membership | None) -> None:
        self._generation += 1
        self.current, self.history, self.history_source = {}, [], None
        self._polling.clear()
        self.history_changed.emit()

    def _scope(self) -> tuple[DalgoClient, str, int]:
        if self.app.client is None or self.app.org is None:
            raise RuntimeError("no active organisation")
        return self.app.client, self.app.org.org.slug, self._generation

    def running(self, source_id: str) -> Job | None:
        job = self.current.get(source_id)
        return job if job is not None and job.active else None

    # --- sync now, poll, cancel --------------------------------------------------------------------
    def start(self, source: Source) -> None:
        """POST /sources/{id}/sync, then follow the job; a 409 names who is running it and follows theirs."""
        client, slug, generation = self._scope()

        def done(started: JobStarted) -> None:
            if generation == self._generation:
                self.watch(source.id, started.job_id, first=True)

        def failed(err: BaseException) -> None:
            if isinstance(err, Conflict):
                self.app.banner.show(err.detail, Level.warning)
                self.load_history(source.id)  # picks up the running job so its progress shows here too
            else:
                self.app.handle_error(err)

        self.app.submit(lambda: client.sync_source(source.id, org=slug), done, failed)

    def watch(self, source_id: str, job_id: str, first: bool = False) -> None:
        """Poll GET /jobs/{id} in the background until the job ends (one chain per job)."""
        if first and job_id in self._polling:
            return
        self._polling.add(job_id)
        client, slug, generation = self._scope()
        delay = 0.0 if first else self.poll_interval

        def work() -> Job:
            if delay:
                self._sleep(delay)
            return client.get_job(job_id, org=slug)

        def done(job: Job) -> None:
            if generation != self._generation:
                return
            self.current[source_id] = job
            self.progress_changed.emit(source_id)
            if job.active:
                self.watch(source_id, job_id)
            else:
                self._polling.discard(job_id)
                self._ended(source_id, job)

        def failed(err: BaseException) -> None:
            self._polling.discard(job_id)
            self.app.handle_error(err)

        self.app.submit(work, done, failed)

    def follow(self, source_id: str, job: Job) -> None:
        """Show the progress of a sync started elsewhere (another user, another window, before a restart)."""
        if job.active and job.id not in self._polling:
            self.current[source_id] = job
            self.watch(source_id, job.id, first=True)

    def _ended(self, source_id: str, job: Job) -> None:
        if job.status == "succeeded":
            rows = job_rows(job) or 0
            changes = len((job.result or {}).get("schema_changes") or [])
            note = f" {words.plural(changes, 'column change')}: see the sync history." if changes else ""
            self.app.banner.show(f"Sync finished: {rows:,} rows in {elapsed_text(job.elapsed_s)}.{note}", Level.success)
        elif job.status == "failed":
            self.app.banner.show(f"The sync failed: {error_text(job)}", Level.error)
        else:
            self.app.banner.show("The sync was cancelled; the previous data is intact.", Level.info)
        if self.history_source == source_id:
            self.load_history(source_id)
        self.finished.emit(source_id, job)

    def cancel(self, source_id: str) -> None:
        """Ask the server to stop the running sync; the polling sees it end as cancelled."""
        job = self.running(source_id)
        if job is None:
            return
        client, slug, _generation = self._scope()
        self.app.banner.show("Cancelling the sync…", Level.info)
        self.app.submit(lambda: client.cancel_job(job.id, org=slug), lambda _job: None)

    # --- history and logs --------------------------------------------------------------------------
    def load_history(self, source_id: str) -> None:
        """GET /sources/{id}/syncs; a run still going (started elsewhere) is followed as well."""
        client, slug, generation = self._scope()
        if self.history_source != source_id:
            self.history = []
        self.history_source, self.history_loading = source_id, True

        def done(page: Page[Job]) -> None:
            if generation != self._generation or self.history_source != source_id:
                return
            self.history, self.history_loading = list(page.items), False
            self.history_changed.emit()
            active = next((job for job in self.history if job.active), None)
            if active is not None:
                self.follow(source_id, active)

        def failed(err: BaseException) -> None:
            self.history_loading = False
            self.app.handle_error(err)

        self.history_changed.emit()
        self.app.submit(lambda: client.list_syncs(source_id, org=slug), done, failed)

    def load_log(self, job: Job) -> None:
        client, slug, _generation = self._scope()

        def done(text: Any) -> None:
            self.log_loaded.emit(job.id, str(text) or "The log of this run is empty.")

        self.app.submit(lambda: client.job_log(job.id, org=slug), done)
