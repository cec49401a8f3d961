"""Members and pending invitations of the active org, and the admin actions on them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.client.models import Invitation, Member, Membership, ResetCode
from desktop.state import roles, words
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.session import AppState, Then

SORT_KEYS: dict[str, Callable[[Member], Any]] = {
    "email": lambda m: m.email.lower(),
    "role": lambda m: -roles.level(m.acting_role),
    "joined": lambda m: m.joined_at,
}


class UsersModel:
    """View model of the Users page; results for an org the user has since left are dropped."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.members: list[Member] = []
        self.invitations: list[Invitation] = []
        self.loading = False
        self.active = False
        self.sort_key, self.sort_desc = "email", False
        self.changed = Event()  # ()
        self.invitation_created = Event()  # (Invitation)
        self.reset_issued = Event()  # (ResetCode)
        self._generation = 0
        app.org_changed.connect(self._org_changed)

    # --- what the user may do ---------------------------------------------------------------------
    @property
    def can_read(self) -> bool:
        return self.app.can("users:read")

    @property
    def can_manage(self) -> bool:
        return self.app.can("users:manage")

    @property
    def assignable_roles(self) -> list[str]:
        return roles.assignable(self.app.role)

    def is_me(self, member: Member) -> bool:
        return bool(self.app.me and self.app.me.id == member.id)

    def can_act_on(self, member: Member) -> bool:
        """Change role / remove / reset: admins, on others at or below their own level."""
        return (
            self.can_manage and not self.is_me(member) and roles.level(member.acting_role) <= roles.level(self.app.role)
        )

    def role_name(self, member: Member) -> str:
        """The same name the top bar shows for this person (a super-admin is 'Super admin' here too)."""
        return roles.label(member.acting_role)

    def summary(self) -> str:
        """'1 member' / '3 members', for the page's intro."""
        return words.plural(len(self.members), "member")

    def rows(self) -> list[Member]:
        return sorted(self.members, key=SORT_KEYS[self.sort_key], reverse=self.sort_desc)

    def sort(self, key: str) -> None:
        """Sort by a column; choosing the same column again flips the order."""
        self.sort_desc = not self.sort_desc if key == self.sort_key else False
        self.sort_key = key
        self.changed.emit()

    # --- loading ----------------------------------------------------------------------------------
    def _org_changed(self, _membership: Membership | None) -> None:
        self._generation += 1
        self.members, self.invitations = [], []
        self.changed.emit()
        if self.active and _membership is not None:
            self.load()

    def load(self) -> None:
        """Fetch members (and, for admins, pending invitations) of the active org."""
        self.active = True
        if self.app.org is None or self.app.client is None or not self.can_read:
            return
        client, slug, manage, generation = self.app.client, self.app.org.org.slug, self.can_manage, self._generation

        def work() -> tuple[list[Member], list[Invitation]]:
            members = client.list_users(org=slug).items
            invitations = client.list_invitations(org=slug).items if manage else []
            return members, invitations

        def done(result: tuple[list[Member], list[Invitation]]) -> None:
            if generation == self._generation:
                self.members, self.invitations = result
                self._set_loading(False)

        self._set_loading(True)
        self.app.submit(work, done, self._failed)

    def _set_loading(self, loading: bool) -> None:
        self.loading = loading
        self.changed.emit()

    def _failed(self, err: BaseException) -> None:
        self._set_loading(False)
        self.app.handle_error(err)

    def _act(self, work: Callable[[], Any], success: str | Callable[[Any], None], then: Then = None) -> None:
        """Run an admin action in the active org, then reload the lists and report."""

        def done(result: Any) -> None:
            if callable(success):
                success(result)
            else:
                self.app.banner.show(success, Level.success)
            if then:
                then()
            self.load()

        self.app.submit(work, done, self._failed)

    # --- actions ----------------------------------------------------------------------------------
    def invite(self, email: str, role: str, then: Then = None) -> None:
        if not email.strip() or "@" not in email:
            self.app.banner.show("Enter the email address of the person to invite.", Level.error)
            return
        client, slug = self._scope()
        self._act(lambda: client.create_invitation(email.strip(), role, org=slug), self.invitation_created.emit, then)

    def change_role(self, member: Member, role: str, then: Then = None) -> None:
        client, slug = self._scope()
        message = f"{member.email} is now {roles.label(role).lower()}."
        self._act(lambda: client.update_user_role(member.id, role, org=slug), message, then)

    def remove(self, member: Member, then: Then = None) -> None:
        client, slug = self._scope()
        message = f"{member.email} was removed from {self._org_name()}."
        self._act(lambda: client.remove_user(member.id, org=slug), message, then)

    def issue_reset(self, member: Member) -> None:
        client, slug = self._scope()
        self._act(lambda: client.issue_password_reset(member.id, org=slug), self.reset_issued.emit)

    def cancel_invitation(self, invitation: Invitation) -> None:
        client, slug = self._scope()
        message = f"The invitation for {invitation.email} was cancelled; its code no longer works."
        self._act(lambda: client.cancel_invitation(invitation.id, org=slug), message)

    def _scope(self) -> tuple[Any, str]:
        """The client and the org slug at the moment of the click, so a later org switch cannot redirect it."""
        if self.app.client is None or self.app.org is None:
            raise RuntimeError("no active organisation")
        return self.app.client, self.app.org.org.slug

    def _org_name(self) -> str:
        return self.app.org.org.name if self.app.org else "the organisation"

    # --- words for the hand-over ------------------------------------------------------------------
    def handover_text(self, invitation: Invitation) -> str:
        """A message the admin can paste into a chat or read out: where, which code, until when."""
        target = self.app.target
        role = roles.label(invitation.role).lower()
        if target is None or target.embedded:
            where = "Open Dalgo on this computer (the one where Dalgo was set up for us)"
        else:
            where = (
                f"Open Dalgo on any computer. On the sign-in screen choose “Connect to a hosted server…” "
                f"and enter {target.url}. Then"
            )
        return (
            f"You are invited to join {invitation.org_name} on Dalgo as {role}.\n"
            f"{where}, choose “I have an invitation code” on the sign-in screen and enter:\n\n"
            f"    {invitation.code}\n\n"
            f"The code works once, until {words.local_time(invitation.expires_at)}. "
            "Spaces or dashes in the code do not matter."
        )

    def handover_note(self) -> str:
        """For the admin: who can use this code, and how a colleague at another office joins."""
        target = self.app.target
        if target is None or target.embedded:
            return (
                "This Dalgo runs on this computer only, so the code works here: the person signs in on this "
                "computer. A colleague at another office joins through a hosted Dalgo server (one on the "
                "internet): invite them there, and they choose “Connect to a hosted server…” when signing in."
            )
        return f"They can join from any computer with Dalgo, by connecting to {target.url} when signing in."

    def reset_text(self, reset: ResetCode) -> str:
        return (
            f"A password reset code for {reset.email}:\n\n    {reset.token}\n\n"
            f"On the sign-in screen choose “Forgot password?”, then “I have a reset code”. "
            f"It works once, until {words.local_time(reset.expires_at)}."
        )
