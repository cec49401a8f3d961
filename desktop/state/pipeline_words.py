"""Pipelines in a programme officer's words: task kinds, statuses, bar colours, schedules and run summaries."""

from __future__ import annotations

import os
from datetime import datetime

from desktop.client.pipelines_models import Pipeline, Run, RunDetail, TaskRun
from desktop.state import words
from desktop.state.source_syncs import elapsed_text

KIND_NAMES = {
    "sync": "Bring in data from a source",
    "transform": "Run the cleaning steps (all or chosen)",
    "test": "Check data quality (tests)",
}
KIND_TIPS = {
    "sync": "Sync: load the source's tables into your data.",
    "transform": "dbt run: build the cleaned tables from your recipes and SQL.",
    "test": "dbt test: check the cleaned tables against the checks you set (unique, not empty, allowed values).",
}
STATUS_NAMES = {
    "queued": "Queued",
    "running": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "warned": "Checks failed",
    "skipped": "Skipped",
    "cancelled": "Cancelled",
    "interrupted": "Interrupted",
}
STATUS_TIPS = {
    "warned": "The data was built, but some quality checks (dbt tests) did not pass: look at the checks.",
    "interrupted": "Dalgo was closed or stopped while this ran; the next run starts afresh.",
    "skipped": "Not run: the computer was off or asleep at that time and the pipeline skips missed runs.",
}
# the bar chart's colour families, as Dalgo draws them; the Qt layer maps these to colours
BAR_KINDS = {
    "succeeded": "good",
    "failed": "bad",
    "warned": "warn",
    "running": "busy",
    "queued": "busy",
}
DAYS = (("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"), ("sun", "Sun"))
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
SCHEDULE_KINDS = (
    ("manual", "Only when I click Run"),
    ("daily", "Every day at"),
    ("weekly", "Every week on"),
    ("cron", "Custom (cron, advanced)"),
)
MISSED = (("catch_up_once", "Run once when it wakes"), ("skip", "Skip that run"))
ON_FAILURE = (("stop", "Stop the pipeline"), ("continue", "Carry on with the next task"))
SELECT_TIP = "dbt selectors, e.g. 'households+' or 'tag:monthly'; separate several with spaces."


def kind_name(kind: str, known: dict[str, str] | None = None) -> str:
    """'sync' → 'Bring in data from a source'; a kind only the server knows keeps the server's name."""
    return KIND_NAMES.get(kind) or (known or {}).get(kind) or kind.replace("_", " ").capitalize()


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status.capitalize())


def bar_kind(run: Run) -> str:
    """good (green) · bad (red) · warn (yellow: only the quality checks failed) · busy · other (grey)."""
    return BAR_KINDS.get(run.status, "other")


def local_zone() -> str:
    """This computer's IANA time zone name, e.g. 'Africa/Nairobi' (UTC when it cannot be told).

    TZ first, as the C library does (tzlocal caches its first answer, so a later TZ change would be missed).
    """
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            import tzlocal

            name = str(tzlocal.get_localzone_name() or "UTC")
        except Exception:  # no tzlocal or an unreadable system setting: UTC is honest
            name = "UTC"
    return "UTC" if name in ("Etc/UTC", "Etc/Universal", "UCT", "Universal", "Zulu") else name


def days_text(days: list[str]) -> str:
    """['mon', 'thu'] → 'Monday and Thursday'; every day → 'every day'."""
    names = [DAY_NAMES[d] for d, _short in DAYS if d in days]
    if len(names) == 7:
        return "every day"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def schedule_text(kind: str, time: str | None, days: list[str] | None, cron: str | None, zone: str) -> str:
    """'Every Monday and Thursday at 09:00 Africa/Nairobi', as the user entered it, in their zone."""
    if kind == "daily":
        return f"Every day at {time} {zone}"
    if kind == "weekly":
        return f"Every {days_text(days or [])} at {time} {zone}"
    if kind == "cron":
        return f"Custom: {cron} ({zone})"
    return "Only when someone clicks Run"


def pipeline_schedule(pipeline: Pipeline) -> str:
    s = pipeline.schedule
    if s is None or s.kind == "manual":
        return "Only when someone clicks Run" + ("" if pipeline.enabled else " (paused)")
    text = schedule_text(s.kind, s.time, s.days, s.cron, s.timezone)
    return text + ("" if pipeline.enabled else " (paused)")


def next_run_text(pipeline: Pipeline, there: bool = True) -> str:
    """The next run in this computer's time; with `there`, the pipeline's own zone beside it when that differs."""
    if pipeline.next_run_at is None or not pipeline.enabled:
        return "—"
    text = words.local_time(pipeline.next_run_at, year=False)
    zone = pipeline.schedule.timezone if pipeline.schedule else local_zone()
    if there and zone != local_zone() and pipeline.next_run_local:
        text += f" (there: {pipeline.next_run_local})"
    return text


def duration(seconds: float | None) -> str:
    return elapsed_text(seconds)


def run_when(run: Run) -> str:
    return words.local_time(run.started_at or run.scheduled_for or run.created_at, year=False)


def trigger_text(run: Run) -> str:
    """Who or what started it: 'amina@… clicked Run', 'on schedule', the missed-run note."""
    if run.note:
        return run.note
    if run.trigger == "schedule":
        return "On schedule"
    if run.trigger == "catch_up":
        return "Caught up after the computer woke"
    return f"Run by {run.created_by_email}" if run.created_by_email else "Run by hand"


def run_summary(run: Run) -> str:
    """One line for the history: the cause of a failure, the missed-run note, or how it ended."""
    if run.status in ("failed", "warned", "interrupted") and run.cause:
        return run.cause
    if run.note:
        return run.note
    return STATUS_TIPS.get(run.status, "")


def task_line(task: TaskRun) -> str:
    """'1,200 rows · 3.4 s · 2 tries' beside a task's chip."""
    parts = []
    if task.rows is not None:
        parts.append(words.plural(task.rows, "row"))
    if task.duration_s is not None:
        parts.append(duration(task.duration_s))
    if task.attempts > 1:
        parts.append(f"{task.attempts} tries")
    return " · ".join(parts)


def failure_text(run: RunDetail) -> str:
    """What went wrong and what to do next, from the run and its failed tasks."""
    lines = []
    if run.cause:
        lines.append(f"What went wrong: {run.cause}")
    if run.hint:
        lines.append(f"What to do: {run.hint}")
    for task in run.tasks:
        if task.status in ("failed", "warned") and task.error and task.error != run.cause:
            lines.append(f"{task.name}: {task.error}" + (f" → {task.hint}" if task.hint else ""))
    return "\n".join(lines)


def parse_day(text: str) -> datetime | None:
    """'2026-12-04' → a local midnight, for the history's date filter; None for an empty or bad date."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").astimezone() if text.strip() else None
    except ValueError:
        return None
