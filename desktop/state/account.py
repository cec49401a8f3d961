"""Account actions beside signing in: password reset and change, creating organisations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.client.models import Org
from desktop.state.banner import Level
from desktop.state.forms import mismatch, missing
from desktop.state.session import AppState, Then


class AccountModel:
    """View model of the account dialogs; each action reports in the banner and calls `then` on success."""

    def __init__(self, app: AppState) -> None:
        self.app = app

    def _run(self, problem: str | None, work: Callable[[Any], Any], success: Callable[[Any], None], then: Then) -> None:
        """Explain a form problem, or run `work(client)` in the background and report success."""
        if problem:
            self.app.banner.show(problem, Level.error)
            return
        client = self.app.require_client()
        if client is None:
            return

        def done(result: Any) -> None:
            success(result)
            if then:
                then()

        self.app.submit(lambda: work(client), done)

    def request_reset(self, email: str) -> None:
        """Ask the server to mail a reset code; it explains when it cannot (no mail server)."""

        def explain(text: str) -> None:
            self.app.banner.show(text, Level.info)

        self._run(missing(email=email), lambda c: c.request_password_reset(email.strip()), explain, None)

    def reset_password(self, code: str, password: str, confirm: str, then: Then = None) -> None:
        """Set a new password with a one-time code from an admin (or from the mail)."""
        problem = missing(code=code, password=password) or mismatch(password, confirm)
        text = "Your password was changed. Sign in with the new one."
        self._run(problem, lambda c: c.reset_password(code.strip(), password), self._success(text), then)

    def change_password(self, current: str, new: str, confirm: str, then: Then = None) -> None:
        problem = missing(current_password=current, new_password=new) or mismatch(new, confirm)
        text = "Password changed. Your other sign-ins were ended."
        self._run(problem, lambda c: c.change_password(current, new), self._success(text), then)

    def create_org(self, name: str, then: Then = None) -> None:
        """Super-admins: create an organisation (you become its admin) and switch to it."""

        def created(org: Org) -> None:
            self.app.refresh_me(prefer_org=org.slug)
            self.app.banner.show(f"Organisation “{org.name}” created; it is now the active one.", Level.success)

        self._run(missing(name=name), lambda c: c.create_org(name.strip()), created, then)

    def _success(self, text: str) -> Callable[[Any], None]:
        return lambda _result: self.app.banner.show(text, Level.success)
