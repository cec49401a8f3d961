"""Screens of the Pipelines page for tools/screenshots.py: the list with run bars, a run, the history, the editor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.client.pipelines_models import TaskSpec
from desktop.state.pipeline_words import local_zone


def shoot_pipelines(shell: Any, admin: Any, shoot: Any, wait_until: Callable[..., None], at_size: Any) -> None:
    """A weekly pipeline over the Villages source and its cleaning, run twice; the run view, history and editor."""
    source = next(s for s in admin.list_sources().items if s.name == "Villages")
    tasks = [TaskSpec(kind="sync", source_id=source.id, retries=2), TaskSpec(kind="transform", on_failure="continue")]
    schedule = {"kind": "weekly", "time": "09:00", "days": ["mon", "thu"], "timezone": local_zone()}
    pipeline = admin.create_pipeline("Villages every Monday and Thursday", tasks, schedule)
    admin.create_pipeline("Clinic visits (by hand)", [TaskSpec(kind="sync", source_id=source.id)])
    for _ in range(2):
        run_id = admin.run_pipeline(pipeline.id).run_id
        wait_until(lambda run_id=run_id: not admin.get_run(run_id).active, timeout=120)
    page = shell.pipelines_page
    shell.go("pipelines")
    wait_until(lambda: page.model.loaded and page.model.selected is not None)
    page.model.select(pipeline.id)
    wait_until(lambda: page.model.run_view.run is not None and len(page.model.run_view.logs_done) == 2)
    shell.state.banner.clear()  # a notice left by the screens before
    shoot(shell.window(), "pipelines")
    at_size(shell.window(), 1024, 600, shoot, "pipelines-1024x600")
    page.detail.tabs.setCurrentWidget(page.detail.history)
    wait_until(lambda: page.detail.history.table.rowCount() == 2)
    shoot(shell.window(), "pipelines-history")
    page.detail.tabs.setCurrentWidget(page.detail.run_panel)
    page.open_edit()
    shoot(page.dialog, "pipeline-editor")
    page.dialog.reject()
