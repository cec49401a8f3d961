"""PipelinesApiMixin: DalgoClient's calls for pipelines, their runs and logs, and the notification centre."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from desktop.client.models import Page
from desktop.client.pipelines_models import (
    Notification,
    NotificationSettings,
    Pipeline,
    Run,
    RunDetail,
    RunStarted,
    TaskKind,
    TaskLog,
    TaskSpec,
    UnreadCount,
)

API = "/api/v1"
M = TypeVar("M", bound=BaseModel)


def pipeline_body(
    name: str | None, tasks: list[TaskSpec] | None, schedule: dict[str, Any] | None, enabled: bool | None
) -> dict[str, Any]:
    """The JSON of a create or a (partial) update: fields left None are not sent."""
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if tasks is not None:
        body["tasks"] = [t.body() for t in tasks]
    if schedule is not None:
        body["schedule"] = schedule
    if enabled is not None:
        body["enabled"] = enabled
    return body


def runs_params(
    limit: int, offset: int, status: str | None, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Query parameters of a runs list: page, and the filters that are set."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if status:
        params["status"] = status
    if since is not None:
        params["since"] = since.isoformat()
    if until is not None:
        params["until"] = until.isoformat()
    return params


class PipelinesApiMixin:
    """Mixed into DalgoClient."""

    if TYPE_CHECKING:

        def _call(self, method: str, path: str, *, auth: bool = True, org: str | None = None, **kw: Any) -> Any: ...
        def _get(self, model: type[M], path: str, **kwargs: Any) -> M: ...
        def _post(self, model: type[M], path: str, **kwargs: Any) -> M: ...

    # --- pipelines -------------------------------------------------------------------------------
    def list_task_kinds(self, *, org: str | None = None) -> Page[TaskKind]:
        return self._get(Page[TaskKind], f"{API}/pipeline-tasks", org=org)

    def list_pipelines(self, *, org: str | None = None) -> Page[Pipeline]:
        return self._get(Page[Pipeline], f"{API}/pipelines", org=org)

    def get_pipeline(self, pipeline_id: str, *, org: str | None = None) -> Pipeline:
        return self._get(Pipeline, f"{API}/pipelines/{pipeline_id}", org=org)

    def create_pipeline(
        self,
        name: str,
        tasks: list[TaskSpec],
        schedule: dict[str, Any] | None = None,
        enabled: bool = True,
        *,
        org: str | None = None,
    ) -> Pipeline:
        """`schedule`: {kind, time?, days?, cron?, timezone, missed} (None: run by hand only)."""
        body = pipeline_body(name, tasks, schedule, enabled)
        return self._post(Pipeline, f"{API}/pipelines", org=org, json=body)

    def update_pipeline(
        self,
        pipeline_id: str,
        *,
        name: str | None = None,
        tasks: list[TaskSpec] | None = None,
        schedule: dict[str, Any] | None = None,
        enabled: bool | None = None,
        org: str | None = None,
    ) -> Pipeline:
        body = pipeline_body(name, tasks, schedule, enabled)
        return Pipeline.model_validate(self._call("PATCH", f"{API}/pipelines/{pipeline_id}", org=org, json=body))

    def delete_pipeline(self, pipeline_id: str, *, org: str | None = None) -> None:
        self._call("DELETE", f"{API}/pipelines/{pipeline_id}", org=org)

    # --- runs ------------------------------------------------------------------------------------
    def run_pipeline(self, pipeline_id: str, *, org: str | None = None) -> RunStarted:
        """Run now; a run already going answers Conflict naming who started it."""
        return self._post(RunStarted, f"{API}/pipelines/{pipeline_id}/run", org=org)

    def list_runs(
        self,
        pipeline_id: str,
        *,
        limit: int = 20,
        offset: int = 0,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        org: str | None = None,
    ) -> Page[Run]:
        """Newest first; `status`, `since` and `until` narrow the list."""
        params = runs_params(limit, offset, status, since, until)
        return self._get(Page[Run], f"{API}/pipelines/{pipeline_id}/runs", org=org, params=params)

    def get_run(self, run_id: str, *, org: str | None = None) -> RunDetail:
        return self._get(RunDetail, f"{API}/pipeline-runs/{run_id}", org=org)

    def cancel_run(self, run_id: str, *, org: str | None = None) -> RunDetail:
        return self._post(RunDetail, f"{API}/pipeline-runs/{run_id}/cancel", org=org)

    def task_log(self, run_id: str, position: int, offset: int = 0, *, org: str | None = None) -> TaskLog:
        """The task's log from `offset` on; pass `next_offset` back to read what was written since."""
        path = f"{API}/pipeline-runs/{run_id}/tasks/{position}/log"
        return self._get(TaskLog, path, org=org, params={"offset": offset})

    # --- notifications ---------------------------------------------------------------------------
    def list_notifications(
        self, *, limit: int = 50, offset: int = 0, unread: bool | None = None, org: str | None = None
    ) -> Page[Notification]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if unread is not None:
            params["unread"] = unread
        return self._get(Page[Notification], f"{API}/notifications", org=org, params=params)

    def unread_count(self, *, org: str | None = None) -> UnreadCount:
        return self._get(UnreadCount, f"{API}/notifications/unread-count", org=org)

    def mark_read(self, notification_id: str, *, org: str | None = None) -> None:
        self._call("POST", f"{API}/notifications/{notification_id}/read", org=org)

    def mark_all_read(self, *, org: str | None = None) -> None:
        self._call("POST", f"{API}/notifications/read-all", org=org)

    def notification_settings(self, *, org: str | None = None) -> NotificationSettings:
        return self._get(NotificationSettings, f"{API}/notifications/settings", org=org)

    def set_notification_settings(
        self, settings: NotificationSettings, *, org: str | None = None
    ) -> NotificationSettings:
        body = settings.model_dump()
        return NotificationSettings.model_validate(
            self._call("PUT", f"{API}/notifications/settings", org=org, json=body)
        )
