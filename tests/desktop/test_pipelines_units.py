"""Pure pieces of the Pipelines page: editor drafts, schedule words in local time, bar colours, tray decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.client.pipelines_models import Notification, Pipeline, Run, RunDetail, Schedule, TaskRun, TaskSpec
from desktop.state import pipeline_words
from desktop.state.credentials import FileCredentialStore
from desktop.state.notifications import NotificationsModel, badge_text
from desktop.state.pipeline_drafts import PipelineDraft, ScheduleDraft, TaskDraft
from desktop.state.pipeline_words import bar_kind, next_run_text, run_summary, schedule_text, trigger_text
from desktop.state.runner import InlineRunner
from desktop.state.session import AppState

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def run(status: str, **fields: object) -> Run:
    return Run.model_validate({"id": f"r-{status}", "pipeline_id": "p1", "status": status, "created_at": NOW} | fields)


def pipeline(**fields: object) -> Pipeline:
    body = {"id": "p1", "name": "Monthly survey", "created_at": NOW, "updated_at": NOW} | fields
    return Pipeline.model_validate(body)


def test_bars_are_green_red_yellow_when_only_checks_failed_and_grey_otherwise() -> None:
    kinds = [bar_kind(run(s)) for s in ("succeeded", "failed", "warned", "cancelled", "skipped", "interrupted")]
    assert kinds == ["good", "bad", "warn", "other", "other", "other"]


def test_a_weekly_schedule_reads_as_entered_with_its_zone() -> None:
    text = schedule_text("weekly", "09:00", ["thu", "mon"], None, "Africa/Nairobi")
    assert text == "Every Monday and Thursday at 09:00 Africa/Nairobi"
    assert schedule_text("daily", "18:30", None, None, "Asia/Kolkata") == "Every day at 18:30 Asia/Kolkata"
    assert schedule_text("manual", None, None, None, "UTC") == "Only when someone clicks Run"


def test_the_next_run_shows_in_this_computers_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Africa/Nairobi")
    import time

    time.tzset()
    try:
        schedule = Schedule(kind="daily", time="09:00", timezone="Africa/Nairobi")
        due = pipeline(schedule=schedule.model_dump(), next_run_at=NOW, next_run_local="2026-12-07 09:00 EAT")
        assert next_run_text(due).startswith("07 Dec 09:00")  # 06:00 UTC is 09:00 in Nairobi
        assert next_run_text(pipeline(next_run_at=NOW, enabled=False)) == "—"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_missed_runs_and_failures_say_so_in_the_history() -> None:
    missed = run("succeeded", trigger="catch_up", note="missed 09:00 — ran 10:42 on wake")
    assert trigger_text(missed) == run_summary(missed) == "missed 09:00 — ran 10:42 on wake"
    skipped = run("skipped", trigger="schedule", note="missed 09:00 — skipped")
    assert run_summary(skipped) == "missed 09:00 — skipped"
    failed = run("failed", cause="Kobo refused the token.", hint="Edit the source.")
    assert run_summary(failed) == "Kobo refused the token."
    assert trigger_text(run("succeeded", created_by_email="amina@example.org")) == "Run by amina@example.org"


def test_a_failure_names_the_cause_and_the_next_step_per_task() -> None:
    task = TaskRun(position=1, kind="transform", name="Clean", status="failed", error="Bad SQL", hint="Fix line 3")
    failed = run("failed", cause="Task 2 failed.", hint="Open the recipe.")
    detail = RunDetail.model_validate(failed.model_dump() | {"tasks": [task.model_dump()]})
    text = pipeline_words.failure_text(detail)
    assert "What went wrong: Task 2 failed." in text and "What to do: Open the recipe." in text
    assert "Clean: Bad SQL → Fix line 3" in text


def test_a_draft_knows_what_to_fix_before_saving() -> None:
    draft = PipelineDraft.new()
    assert draft.problem() and "name" in draft.problem()  # type: ignore[operator]
    draft.name = "Monthly"
    assert draft.problem() == "Task 1: choose the source to bring data in from."
    draft.tasks[0].source_id = "s1"
    draft.schedule.kind, draft.schedule.days = "weekly", []
    assert draft.problem() == "Tick at least one day of the week."
    draft.schedule.days, draft.schedule.time = ["mon"], "9 am"
    assert "24-hour clock" in (draft.problem() or "")
    draft.schedule.time = "09:00"
    draft.schedule.kind, draft.schedule.cron = "cron", "every morning"
    assert "five parts" in (draft.problem() or "")
    draft.tasks.clear()
    assert draft.problem() == "Add at least one task: what should the pipeline do?"


def test_tasks_move_and_the_schedule_body_carries_zone_and_local_time() -> None:
    draft = PipelineDraft(name="x", tasks=[TaskDraft("sync", "s1"), TaskDraft("transform"), TaskDraft("test")])
    assert draft.move(2, -1) == 1 and [t.kind for t in draft.tasks] == ["sync", "test", "transform"]
    assert draft.move(0, -1) == 0  # the first cannot go higher
    schedule = ScheduleDraft("weekly", "07:30", ["mon", "fri"], "", "America/Bogota", "skip")
    assert schedule.body() == {
        "kind": "weekly",
        "time": "07:30",
        "days": ["mon", "fri"],
        "timezone": "America/Bogota",
        "missed": "skip",
    }
    assert TaskDraft("test", source_id="s1", select=["households"]).spec().source_id is None


def test_unsaved_changes_are_told_apart_from_what_is_saved() -> None:
    saved = pipeline(
        tasks=[TaskSpec(kind="sync", source_id="s1").model_dump()],
        schedule=Schedule(kind="daily", time="09:00", timezone="Africa/Nairobi").model_dump(),
    )
    draft = PipelineDraft.of(saved)
    assert not draft.unsaved
    draft.tasks[0].retries = 2
    assert draft.unsaved
    draft.tasks[0].retries = 0
    draft.schedule.days = ["tue"]  # a daily schedule ignores days: nothing the server would store changed
    assert not draft.unsaved
    draft.schedule.time = "10:00"
    assert draft.unsaved


def note(nid: str, level: str = "error", read: bool = False) -> Notification:
    return Notification(id=nid, level=level, title=f"{nid} failed", created_at=NOW, read_at=NOW if read else None)


def test_the_tray_pops_up_only_for_new_unread_failures_when_a_tray_exists(tmp_path: Path) -> None:
    app = AppState(InlineRunner(), FileCredentialStore(tmp_path / "c.json"))
    tray = {"available": True}
    model = NotificationsModel(app, lambda: tray["available"])
    popped: list[str] = []
    model.tray.connect(lambda title, _body, _n: popped.append(title))
    model._announce([note("old")])  # the first look after signing in only remembers
    assert popped == [] and model.pending_tray([note("old")]) == []
    fresh = [note("new"), note("info", "info"), note("read", read=True), note("old")]
    assert [n.id for n in model.pending_tray(fresh)] == ["new"]
    model._announce(fresh)
    assert popped == ["new failed"]
    tray["available"] = False  # offscreen, or a desktop without a tray: decided, never shown
    assert model.pending_tray([note("newer")]) == []
    model._announce([note("newer")])
    assert popped == ["new failed"]


def test_the_badge_counts_and_caps() -> None:
    assert [badge_text(n) for n in (0, 3, 120)] == ["", "3", "99+"]


def test_durations_and_times_in_words() -> None:
    assert pipeline_words.duration(75) == "1 min 15 s"
    when = run("succeeded", started_at=NOW - timedelta(hours=1))
    assert pipeline_words.run_when(when) == (NOW - timedelta(hours=1)).astimezone().strftime("%d %b %H:%M")
