"""The notification centre: unread count for the top bar, the list, mark read, settings, and tray pop-ups."""

from __future__ import annotations

from collections.abc import Callable

from desktop.client.models import Membership, Page
from desktop.client.pipelines_models import Notification, NotificationSettings
from desktop.state import words
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.pipeline_runs import scoped
from desktop.state.session import AppState

MODES = (
    ("failures", "Only when a run fails"),
    ("all", "Every finished run"),
    ("none", "Never"),
)
SAVED = {
    "failures": "Saved: Dalgo will tell you when a pipeline run fails.",
    "all": "Saved: Dalgo will tell you whenever a pipeline run finishes.",
    "none": "Saved: Dalgo will not tell you about pipeline runs.",
}
PAGE = 50


def badge_text(unread: int) -> str:
    """'' · '3' · '99+' on the bell."""
    if unread <= 0:
        return ""
    return "99+" if unread > 99 else str(unread)


def tray_worthy(notification: Notification) -> bool:
    """Only a failure interrupts the user with a desktop pop-up; the rest waits in the centre."""
    return notification.level == "error" and notification.read_at is None


class NotificationsModel:
    """Notifications of the signed-in user in the active org; `tray` fires for a new failure when a tray exists."""

    def __init__(self, app: AppState, tray_available: Callable[[], bool] = lambda: False) -> None:
        self.app = app
        self.tray_available = tray_available
        self.items: list[Notification] = []
        self.total = 0
        self.unread = 0
        self.settings: NotificationSettings | None = None
        self.changed = Event()  # ()
        self.count_changed = Event()  # (int)
        self.tray = Event()  # (title, body, Notification)
        self.settings_changed = Event()  # (NotificationSettings)
        self._seen: set[str] | None = None  # ids already known; None until the first look after a sign-in
        self._token = 0
        app.org_changed.connect(self._org_changed)

    def _org_changed(self, _membership: Membership | None) -> None:
        self._token += 1
        self.items, self.total, self.unread, self.settings, self._seen = [], 0, 0, None, None
        self.changed.emit()
        self.count_changed.emit(0)

    # --- polling the count --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Count unread and fetch the newest (called every ~30 s by the top bar and after a run ends)."""
        if self.app.client is None or self.app.org is None:
            return
        client, slug = scoped(self.app)
        token = self._token

        def work() -> tuple[int, Page[Notification]]:
            return client.unread_count(org=slug).unread, client.list_notifications(limit=PAGE, org=slug)

        def done(result: tuple[int, Page[Notification]]) -> None:
            if token != self._token:
                return
            unread, page = result
            self.items, self.total = list(page.items), page.total
            self._set_unread(unread)
            self._announce(self.items)
            self.changed.emit()

        self.app.submit(work, done, self._quiet_failure)

    def _quiet_failure(self, err: BaseException) -> None:
        """A background poll that fails says nothing new: the page the user is on reports server trouble."""
        del err

    def _set_unread(self, unread: int) -> None:
        if unread != self.unread:
            self.unread = unread
            self.count_changed.emit(unread)

    def _announce(self, items: list[Notification]) -> None:
        """Pop a tray message for each failure not seen before; the first look after signing in only remembers."""
        fresh = [n for n in items if self._seen is not None and n.id not in self._seen]
        self._seen = (self._seen or set()) | {n.id for n in items}
        if not self.tray_available():
            return
        for notification in reversed(fresh):
            if tray_worthy(notification):
                self.tray.emit(notification.title, notification.body, notification)

    def pending_tray(self, items: list[Notification]) -> list[Notification]:
        """Which of `items` would pop up now (for a test or a caller deciding without emitting)."""
        if self._seen is None or not self.tray_available():
            return []
        return [n for n in items if n.id not in self._seen and tray_worthy(n)]

    # --- reading ------------------------------------------------------------------------------------
    def mark_read(self, notification: Notification) -> None:
        if notification.read_at is not None:
            return
        client, slug = scoped(self.app)
        self.app.submit(lambda: client.mark_read(notification.id, org=slug), lambda _r: self.refresh())

    def mark_all_read(self) -> None:
        client, slug = scoped(self.app)
        self.app.submit(lambda: client.mark_all_read(org=slug), lambda _r: self.refresh())

    def when(self, notification: Notification) -> str:
        return words.local_time(notification.created_at, year=False)

    # --- settings -----------------------------------------------------------------------------------
    def load_settings(self) -> None:
        if self.app.client is None or self.app.org is None:
            return
        client, slug = scoped(self.app)
        token = self._token

        def done(settings: NotificationSettings) -> None:
            if token == self._token:
                self.settings = settings
                self.settings_changed.emit(settings)

        self.app.submit(lambda: client.notification_settings(org=slug), done)

    def save_settings(self, mode: str, pipeline_ids: list[str] | None, email: bool) -> None:
        """failures / all / none; None for every pipeline."""
        client, slug = scoped(self.app)
        wanted = NotificationSettings(mode=mode, pipeline_ids=pipeline_ids, email=email)

        def done(settings: NotificationSettings) -> None:
            self.settings = settings
            self.settings_changed.emit(settings)
            self.app.banner.show(SAVED.get(settings.mode, "Saved."), Level.success)

        self.app.submit(lambda: client.set_notification_settings(wanted, org=slug), done)
