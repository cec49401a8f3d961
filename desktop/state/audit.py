"""The org's audit log (admins): who did what, when, from where."""

from __future__ import annotations

from desktop.client.models import AuditEvent, Membership
from desktop.state.events import Event
from desktop.state.session import AppState

ACTION_LABELS = {
    "login.succeeded": "Signed in",
    "login.failed": "Failed sign-in",
    "logout": "Signed out",
    "password.changed": "Changed password",
    "password.reset_issued": "Reset code issued",
    "password.reset": "Password reset",
    "user.invited": "Invited",
    "invitation.accepted": "Accepted invitation",
    "invitation.cancelled": "Cancelled invitation",
    "user.role_changed": "Changed role",
    "user.removed": "Removed member",
    "org.created": "Created organisation",
    "setup.completed": "First-run setup",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace(".", " ").replace("_", " ").capitalize())


def detail_text(event: AuditEvent) -> str:
    """`old=member, new=analyst` → `member → analyst`; other details as `key: value`."""
    detail = dict(event.detail)
    if "old" in detail and "new" in detail:
        return f"{detail.pop('old')} → {detail.pop('new')}" + "".join(f", {k}: {v}" for k, v in detail.items())
    return ", ".join(f"{k}: {v}" for k, v in detail.items())


class AuditModel:
    """Latest events of the active org; loads when first asked, reloads on org switch afterwards."""

    def __init__(self, app: AppState, limit: int = 200) -> None:
        self.app = app
        self.limit = limit
        self.events: list[AuditEvent] = []
        self.total = 0
        self.active = False
        self.changed = Event()
        self._generation = 0
        app.org_changed.connect(self._org_changed)

    @property
    def allowed(self) -> bool:
        return self.app.can("audit:read")

    def _org_changed(self, membership: Membership | None) -> None:
        self._generation += 1
        self.events, self.total = [], 0
        self.changed.emit()
        if self.active and membership is not None:
            self.load()

    def load(self) -> None:
        self.active = True
        if self.app.client is None or self.app.org is None or not self.allowed:
            return
        client, slug, generation = self.app.client, self.app.org.org.slug, self._generation

        def done(page: object) -> None:
            if generation == self._generation:
                self.events, self.total = list(page.items), page.total  # type: ignore[attr-defined]
                self.changed.emit()

        self.app.submit(lambda: client.list_audit(limit=self.limit, org=slug), done)
