"""Notifications: a row for each member who wants to hear about a finished run, mail when SMTP is set."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.deps import OrgContext
from server.core.permissions import Permission, role_has
from server.models import Notification, NotificationSetting, PipelineRun
from server.models.base import utcnow
from server.notifications.mail import send_mail
from server.notifications.repository import NotificationsRepository
from server.notifications.schemas import NotificationSettings

PROBLEMS = {"failed": "error", "interrupted": "error", "warned": "warning"}
TITLES = {
    "succeeded": "{name} ran successfully",
    "failed": "{name} failed",
    "warned": "{name} ran, but data tests found problems",
    "interrupted": "{name} was interrupted",
    "cancelled": "{name} was cancelled",
    "skipped": "{name} did not run at its scheduled time",
}


def wants(setting: NotificationSettings, run: PipelineRun) -> bool:
    """failures: failed, interrupted or warned (tests found problems); all: every finished run; none: nothing."""
    if setting.mode == "none" or (setting.pipeline_ids is not None and run.pipeline_id not in setting.pipeline_ids):
        return False
    return setting.mode == "all" or run.status in PROBLEMS


def message(run: PipelineRun) -> tuple[str, str, str]:
    """(level, title, body) in plain words."""
    title = TITLES.get(run.status, "{name}: " + run.status).format(name=run.pipeline_name)
    lines = [line for line in (run.note, run.cause, f"What to do: {run.hint}" if run.hint else None) if line]
    return PROBLEMS.get(run.status, "info"), title, "\n".join(lines)


class NotificationService:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.repo = NotificationsRepository(session)

    def list(self, ctx: OrgContext, unread_only: bool, limit: int, offset: int) -> tuple[list[Notification], int]:
        return self.repo.list(ctx.org_id, ctx.user.id, unread_only, limit, offset)

    def unread(self, ctx: OrgContext) -> int:
        return self.repo.unread(ctx.org_id, ctx.user.id)

    def mark_read(self, ctx: OrgContext, notification_id: str) -> Notification:
        row = self.repo.get(ctx.org_id, ctx.user.id, notification_id)
        row.read_at = row.read_at or utcnow()
        self.session.flush()
        return row

    def mark_all_read(self, ctx: OrgContext) -> None:
        self.repo.mark_all_read(ctx.org_id, ctx.user.id)

    def get_settings(self, ctx: OrgContext) -> NotificationSettings:
        return _settings_of(self.repo.setting(ctx.org_id, ctx.user.id))

    def put_settings(self, ctx: OrgContext, wanted: NotificationSettings) -> NotificationSettings:
        row = self.repo.setting(ctx.org_id, ctx.user.id)
        if row is None:
            row = NotificationSetting(org_id=ctx.org_id, user_id=ctx.user.id)
            self.session.add(row)
        row.mode, row.pipeline_ids, row.email = wanted.mode, wanted.pipeline_ids, wanted.email
        self.session.flush()
        return _settings_of(row)

    def notify_run(self, run_id: str) -> int:
        """Tell every member who may see pipelines and wants to hear about this run; returns how many."""
        run = self.session.get(PipelineRun, run_id)
        if run is None:
            return 0
        level, title, body = message(run)
        told = 0
        for user, role, row in self.repo.members(run.org_id):
            setting = _settings_of(row)
            if not role_has(role, Permission.pipelines_read) or not wants(setting, run):
                continue
            self.repo.add(
                Notification(org_id=run.org_id, user_id=user.id, run_id=run.id, level=level, title=title, body=body)
            )
            if setting.email and self.settings.smtp_host:
                send_mail(self.settings, user.email, f"Dalgo: {title}", body or title)
            told += 1
        return told


def _settings_of(row: NotificationSetting | None) -> NotificationSettings:
    if row is None:
        return NotificationSettings()
    return NotificationSettings(mode=row.mode, pipeline_ids=row.pipeline_ids, email=row.email)  # type: ignore[arg-type]
