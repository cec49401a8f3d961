"""Pipelines and notifications view models, headless, against the real embedded server: create with tasks and a
weekly schedule, next run in local time, run now → live statuses → history, cancel, 409 naming who started the
running one, a deleted source refused on save, notifications read, and what each role may do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desktop.client import DalgoClient
from desktop.client.pipelines_models import TaskSpec
from desktop.state import words
from desktop.state.banner import Level
from desktop.state.notifications import NotificationsModel
from desktop.state.pipeline_drafts import PipelineDraft, ScheduleDraft, TaskDraft
from desktop.state.pipeline_words import next_run_text
from desktop.state.pipelines import PipelinesModel
from desktop.state.session import AppState
from tests.desktop.conftest import ADMIN, invite_and_join
from tests.desktop.sources_helpers import sign_in, synced_csv_source, write_csv

pytestmark = pytest.mark.e2e
NAIROBI = "Africa/Nairobi"


@pytest.fixture
def nairobi(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer's clock in Nairobi, so 'local time' is not UTC by accident."""
    monkeypatch.setenv("TZ", NAIROBI)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def source_id(admin: DalgoClient, tmp_path: Path) -> str:
    return synced_csv_source(admin, write_csv(tmp_path / "visits.csv", 40)).id


def signed_in(headless: AppState, url: str, dalgo_home: Path, email: str = ADMIN) -> PipelinesModel:
    sign_in(headless, url, dalgo_home, email)
    model = PipelinesModel(headless, poll_interval=0.05)
    model.load()
    assert model.loaded, headless.banner.notice
    return model


def weekly(source_id: str, name: str = "Monthly visits") -> PipelineDraft:
    draft = PipelineDraft.new()
    draft.name = name
    draft.tasks = [TaskDraft("sync", source_id, retries=1), TaskDraft("transform", on_failure="continue")]
    draft.schedule = ScheduleDraft("weekly", "09:00", ["mon", "thu"], "", NAIROBI, "skip")
    return draft


def test_admin_creates_a_weekly_pipeline_and_sees_the_next_run_in_local_time(
    nairobi: None, headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    model = signed_in(headless, url, dalgo_home)
    assert model.can_write and model.can_run and any(s.id == source_id for s in model.sources)
    draft = weekly(source_id)
    assert draft.unsaved
    model.save(draft)
    saved = model.selected
    assert saved is not None and saved.name == "Monthly visits" and not draft.unsaved, headless.banner.notice
    assert [t.kind for t in saved.tasks] == ["sync", "transform"]
    assert (saved.tasks[0].retries, saved.tasks[1].on_failure) == (1, "continue")
    assert saved.schedule is not None and (saved.schedule.timezone, saved.schedule.time) == (NAIROBI, "09:00")
    assert saved.next_run_at is not None
    there = saved.next_run_at.astimezone(ZoneInfo(NAIROBI))
    assert (there.hour, there.minute, there.strftime("%a")) in {(9, 0, "Mon"), (9, 0, "Thu")}
    assert next_run_text(saved) == words.local_time(saved.next_run_at, year=False)
    assert next_run_text(saved).endswith("09:00")  # this computer is in Nairobi too
    assert "Next run" in (headless.banner.notice.text if headless.banner.notice else "")
    again = PipelineDraft.of(saved)
    assert not again.unsaved and again.schedule.days == ["mon", "thu"]


def test_a_pipeline_without_tasks_or_a_name_is_explained_before_the_server(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient
) -> None:
    model = signed_in(headless, url, dalgo_home)
    refusals: list[str] = []
    empty = PipelineDraft(name="Nothing to do")
    model.save(empty, failed=refusals.append)
    assert refusals == ["Add at least one task: what should the pipeline do?"] and model.pipelines == []


def test_a_task_whose_source_was_deleted_shows_the_servers_message_on_save(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    model = signed_in(headless, url, dalgo_home)
    admin.delete_source(source_id)
    refusals: list[str] = []
    draft = weekly(source_id)
    model.save(draft, failed=refusals.append)
    assert len(refusals) == 1 and "deleted" in refusals[0].lower(), refusals
    assert draft.unsaved and draft.name == "Monthly visits"  # the editor keeps what was typed


def test_running_a_pipeline_whose_source_was_deleted_says_so(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    pipeline = admin.create_pipeline("Visits", [TaskSpec(kind="sync", source_id=source_id)])
    admin.delete_source(source_id)
    model = signed_in(headless, url, dalgo_home)
    model.run_now(next(p for p in model.pipelines if p.id == pipeline.id))
    notice = headless.banner.notice
    assert notice is not None and notice.level == Level.error and "deleted" in notice.text.lower(), notice
    assert model.run_view.run is None and model.history.runs == []


def test_run_now_follows_the_run_live_then_lists_it_in_the_history(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    model = signed_in(headless, url, dalgo_home)
    draft = weekly(source_id)
    draft.tasks = draft.tasks[:1]
    model.save(draft)
    pipeline = model.selected
    assert pipeline is not None
    seen: list[tuple[str, ...]] = []
    model.run_view.changed.connect(
        lambda: seen.append(tuple(t.status for t in model.run_view.run.tasks)) if model.run_view.run else None
    )
    model.run_now(pipeline)
    run = model.run_view.run
    assert run is not None and run.status == "succeeded", (run, headless.banner.notice)
    assert seen[-1] == ("succeeded",) and run.tasks[0].rows == 40
    assert model.run_view.log_text(0).strip(), "the task's log came through the tail"
    assert 0 in model.run_view.logs_done
    assert model.history.runs[0].id == run.id and model.history.total == 1
    listed = next(p for p in model.pipelines if p.id == pipeline.id)
    assert listed.last_run is not None and listed.last_run.id == run.id
    assert [r.status for r in listed.recent_runs] == ["succeeded"]
    assert headless.banner.notice is not None and headless.banner.notice.level == Level.success
    model.history.filter("failed")
    assert model.history.runs == [] and model.history.page_text == "No runs"
    model.history.filter(None, since=datetime.now().astimezone(), until=None)
    assert model.history.runs == []  # it ran before today's 'now'


def test_a_second_run_now_names_who_started_the_running_one_and_shows_it(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    pipeline = admin.create_pipeline(
        "Visits and cleaning", [TaskSpec(kind="sync", source_id=source_id), TaskSpec(kind="transform")]
    )
    invite_and_join(admin, "second.admin@example.org", "admin").close()
    model = signed_in(headless, url, dalgo_home, "second.admin@example.org")
    first = admin.run_pipeline(pipeline.id).run_id
    notices: list[str] = []
    headless.banner.changed.connect(lambda n: notices.append(n.text) if n else None)
    model.run_now(next(p for p in model.pipelines if p.id == pipeline.id))
    assert any(ADMIN in text for text in notices), notices
    assert model.run_view.run is not None and model.run_view.run.id == first  # theirs, followed to the end
    assert not model.run_view.run.active


def test_cancel_stops_the_run_on_screen(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    pipeline = admin.create_pipeline(
        "Long one", [TaskSpec(kind="transform"), TaskSpec(kind="sync", source_id=source_id)]
    )
    model = signed_in(headless, url, dalgo_home)
    asked: list[bool] = []

    def sleep_then_cancel(seconds: float) -> None:
        if not asked and model.run_view.following:
            asked.append(True)
            model.cancel()
        time.sleep(seconds)

    model.run_view._sleep = sleep_then_cancel
    model.run_now(next(p for p in model.pipelines if p.id == pipeline.id))
    run = model.run_view.run
    assert asked and run is not None and run.status == "cancelled", run
    assert run.tasks[-1].status in ("cancelled", "skipped")  # the sync after it never ran


def test_roles_analysts_and_members_only_look(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    admin.create_pipeline("Visits", [TaskSpec(kind="sync", source_id=source_id)])
    invite_and_join(admin, "analyst@example.org", "analyst").close()
    model = signed_in(headless, url, dalgo_home, "analyst@example.org")
    assert model.can_read and not model.can_write and not model.can_run
    assert [p.name for p in model.pipelines] == ["Visits"]
    assert "only an admin" in model.why_not()


def test_a_member_views_pipelines_and_runs_but_changes_nothing(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    pipeline = admin.create_pipeline("Visits", [TaskSpec(kind="sync", source_id=source_id)])
    run_id = admin.run_pipeline(pipeline.id).run_id
    invite_and_join(admin, "member@example.org", "member").close()
    model = signed_in(headless, url, dalgo_home, "member@example.org")
    assert model.can_read and not model.can_write and not model.can_run
    assert [p.name for p in model.pipelines] == ["Visits"] and model.sources == []  # no editor lists fetched
    model.open_run(run_id)
    assert model.run_view.run is not None and model.run_view.run.id == run_id


def test_a_failed_run_notifies_and_marking_read_clears_the_count(
    headless: AppState, url: str, dalgo_home: Path, admin: DalgoClient, source_id: str
) -> None:
    admin.create_sql_model("broken_visits", "select no_such_column from nowhere_at_all")
    pipeline = admin.create_pipeline("Visits", [TaskSpec(kind="sync", source_id=source_id), TaskSpec(kind="transform")])
    model = signed_in(headless, url, dalgo_home)
    notifications = NotificationsModel(headless, lambda: True)
    popped: list[str] = []
    notifications.tray.connect(lambda title, _body, _n: popped.append(title))
    notifications.refresh()
    assert notifications.unread == 0
    model.run_now(next(p for p in model.pipelines if p.id == pipeline.id))
    run = model.run_view.run
    assert run is not None and run.status == "failed" and [t.status for t in run.tasks] == ["succeeded", "failed"]
    assert "broken_visits" in (run.cause or "") and run.hint, "the cause in plain words and what to do next"
    notifications.refresh()
    assert notifications.unread == 1 and notifications.items[0].run_id == model.run_view.run.id
    assert popped == [notifications.items[0].title], "a new failure pops up once, through the tray"
    notifications.refresh()
    assert len(popped) == 1
    notifications.mark_read(notifications.items[0])
    assert notifications.unread == 0 and notifications.items[0].read_at is not None
    notifications.save_settings("none", [pipeline.id], email=False)
    assert notifications.settings is not None and notifications.settings.mode == "none"
