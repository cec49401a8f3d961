"""AppState: which server, who is signed in, which org is active, and the flows that change them."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from desktop.client import DalgoClient
from desktop.client.errors import SessionExpired
from desktop.client.models import Me, Membership, TokenPair
from desktop.state import access
from desktop.state.banner import Banner, Level
from desktop.state.credentials import CredentialStore, Remembered
from desktop.state.events import Event
from desktop.state.forms import mismatch, missing
from desktop.state.prefs import Preferences
from desktop.state.runner import Failed, Runner
from desktop.state.server import ServerTarget

Then = Callable[[], None] | None
ClientFactory = Callable[[str], DalgoClient]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE_LETTERS = re.compile(r"^[A-Z0-9]{12}$")


def email_problem(email: str) -> str | None:
    """Say so before asking the server when the text cannot be an email address (one @, a dot after it)."""
    if _EMAIL.match(email.strip()):
        return None
    return f"“{email.strip()}” does not look like an email address; check it (for example amina@example.org)."


def normalise_code(text: str) -> str:
    """An invitation code as typed or read over the phone ('tqdw xc3h r2qm') → the server's form 'TQDW-XC3H-R2QM'."""
    letters = re.sub(r"[\s\-_.]", "", text).upper()
    if _CODE_LETTERS.match(letters):
        return "-".join(letters[i : i + 4] for i in range(0, 12, 4))
    return letters


def code_problem(code: str) -> str | None:
    """A mistyped code is not 'already used': say what a code looks like instead."""
    if _CODE_LETTERS.match(normalise_code(code).replace("-", "")):
        return None
    return "An invitation code has 12 letters and digits, like ABCD-EFGH-JKLM; check what you typed."


class Screen(StrEnum):
    starting = "starting"
    onboarding = "onboarding"
    login = "login"
    main = "main"


class AppState:
    """The desktop's session view model. Call it on the UI thread; blocking work goes through `runner`."""

    def __init__(
        self,
        runner: Runner,
        credentials: CredentialStore,
        prefs: Preferences | None = None,
        client_factory: ClientFactory = DalgoClient,
    ) -> None:
        self.runner = runner
        self.credentials = credentials
        self.prefs = prefs or Preferences(None)
        self.client_factory = client_factory
        self.banner = Banner()
        self.screen = Screen.starting
        self.local: ServerTarget | None = None
        self.target: ServerTarget | None = None
        self.client: DalgoClient | None = None
        self.me: Me | None = None
        self.org: Membership | None = None
        self.busy = False
        self.version = ""
        self._remember_as: str | None = None
        self.screen_changed = Event()  # (Screen)
        self.target_changed = Event()  # (ServerTarget)
        self.session_changed = Event()  # () — me or memberships changed
        self.org_changed = Event()  # (Membership | None)
        self.busy_changed = Event()  # (bool)

    # --- plumbing -----------------------------------------------------------------------------------
    def submit(self, work: Callable[[], Any], on_done: Callable[[Any], None], on_error: Failed | None = None) -> None:
        self.runner.submit(work, on_done, on_error or self.handle_error)

    def handle_error(self, err: BaseException) -> None:
        """Every background failure ends here: into the banner; an expired sign-in goes back to login."""
        self._set_busy(False)
        if isinstance(err, SessionExpired) and self.screen == Screen.main:
            self._signed_out()
        self.banner.error(err)

    def _set_screen(self, screen: Screen) -> None:
        if screen != self.screen:
            self.screen = screen
            self.screen_changed.emit(screen)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)

    def _new_client(self, target: ServerTarget) -> DalgoClient:
        client = self.client_factory(target.url)
        client.on_tokens = lambda tokens: self._tokens_changed(target, tokens)
        self.client, self.target = client, target
        return client

    def _tokens_changed(self, target: ServerTarget, tokens: TokenPair | None) -> None:
        """Called from worker threads whenever the client's tokens rotate: keep remember-me current."""
        email = self._remember_as
        if tokens is None:
            self.credentials.forget(target.key)
        elif email:
            self.credentials.save(target.key, Remembered(email, tokens.refresh_token))

    @property
    def role(self) -> str | None:
        return self.org.role if self.org else None

    def can(self, permission: str) -> bool:
        if permission == "orgs:create":
            return bool(self.me and self.me.is_superuser)
        return access.may(self.org, permission)

    @property
    def last_email(self) -> str:
        return self.prefs.last_email(self.target.key) if self.target else ""

    # --- servers ------------------------------------------------------------------------------------
    def launch(self) -> None:
        """At start-up: go straight to the hosted server used last time; otherwise wait for the local one."""
        last = self.prefs.last_server
        if last and not last.startswith("local:"):
            self._reach_then_connect(ServerTarget.hosted(last))

    def local_ready(self, target: ServerTarget) -> None:
        self.local = target
        if self.target is None:
            self.connect(target)

    def local_failed(self, err: BaseException) -> None:
        self.banner.show(
            f"The local server could not start: {err}. You can still connect to a hosted server.", Level.error
        )
        if self.target is None:
            self._set_screen(Screen.login)

    def connect_hosted(self, text: str) -> None:
        try:
            target = ServerTarget.hosted(text)
        except ValueError as err:
            self.banner.show(str(err), Level.error)
            return
        self._reach_then_connect(target)

    def _reach_then_connect(self, target: ServerTarget) -> None:
        """Switch to a hosted server only once it answers: on failure stay where we are and say why."""
        probe = self.client_factory(target.url)
        self._set_busy(True)

        def work() -> object:
            with probe:
                return probe.health()

        def failed(err: BaseException) -> None:
            self._set_busy(False)
            self.banner.error(err)
            if self.target is None and self.local is not None:  # at launch: fall back to this computer's server
                self.connect(self.local)

        self.submit(work, lambda _health: self.connect(target), failed)

    def connect_local(self) -> None:
        if self.local is None:
            self.banner.show("The local server is still starting; try again in a moment.", Level.warning)
            return
        self.connect(self.local)

    def connect(self, target: ServerTarget) -> None:
        """Talk to `target` from now on: onboarding if it is new, else resume a remembered sign-in or log in."""
        if self.client is not None:
            self.client.on_tokens = None
            self.client.close()
        client = self._new_client(target)
        self.me, self.org, self._remember_as = None, None, None
        self.target_changed.emit(target)
        self._set_busy(True)

        def work() -> tuple[Screen, Me | None, str]:
            version = client.health().version
            remembered = self.credentials.load(target.key)  # a keyring may block (unlock prompt): not on the UI thread
            if client.setup_status().needs_setup:
                return Screen.onboarding, None, version
            if remembered is None:
                return Screen.login, None, version
            self._remember_as = remembered.email
            try:
                client.resume(remembered.refresh_token)
            except SessionExpired:
                return Screen.login, None, version
            return Screen.main, client.me(), version

        def done(result: tuple[Screen, Me | None, str]) -> None:
            if client is not self.client:
                return  # the user moved on to another server meanwhile
            screen, me, self.version = result
            self.prefs.remember_server(target.key, None if target.embedded else target.url)
            self._set_busy(False)
            if me is not None:
                self._signed_in(me)
            else:
                self._remember_as = None
                self._set_screen(screen)

        def failed(err: BaseException) -> None:
            if client is self.client:
                self._set_screen(Screen.login)
                self.handle_error(err)

        self.submit(work, done, failed)

    # --- signing in and out -------------------------------------------------------------------------
    def setup(
        self,
        email: str,
        password: str,
        confirm: str,
        org_name: str,
        remember: bool = True,
        failed: Failed | None = None,
    ) -> None:
        """First run: create the first admin account and organisation; `failed` also hears a refusal."""
        problem = missing(email=email, password=password, organisation=org_name) or mismatch(password, confirm)
        if problem:
            self.banner.show(problem, Level.error)
            return
        client = self.require_client()
        if client is None:
            return
        self._start_auth(email.strip() if remember else None)

        def work() -> Me:
            client.setup(email.strip(), password, org_name.strip())
            return client.me()

        def refused(err: BaseException) -> None:
            self._auth_failed(err)
            if failed:
                failed(err)

        self.submit(work, self._signed_in, refused)

    def check_new_account(self, email: str, password: str, confirm: str) -> bool:
        """Onboarding step 1: say what is missing before moving on (the server judges strength)."""
        problem = missing(email=email, password=password) or mismatch(password, confirm)
        problem = problem or email_problem(email)
        if problem:
            self.banner.show(problem, Level.error)
            return False
        self.banner.clear()
        return True

    def login(self, email: str, password: str, remember: bool = False) -> None:
        problem = missing(email=email, password=password) or email_problem(email)
        if problem:
            self.banner.show(problem, Level.error)
            return
        client = self.require_client()
        if client is None:
            return
        self._start_auth(email.strip() if remember else None)

        def work() -> Me:
            client.login(email.strip(), password)
            return client.me()

        self.submit(work, self._signed_in, self._auth_failed)

    def accept_invitation(
        self, code: str, password: str, confirm: str, remember: bool = False, then: Then = None
    ) -> None:
        """Join an org with the code an admin handed over; signs in as the invited account."""
        problem = missing(code=code, password=password) or code_problem(code) or mismatch(password, confirm)
        if problem:
            self.banner.show(problem, Level.error)
            return
        client = self.require_client()
        if client is None:
            return
        self._start_auth(None)

        def work() -> tuple[str, Me]:
            previous = client.tokens
            result = client.accept_invitation(normalise_code(code), password)
            if previous is not None:  # joined while signed in: end the sign-in it replaces
                with self.client_factory(client.base_url) as old:
                    old.adopt(previous)
                    old.logout()
            return result.org_slug, client.me()

        def done(result: tuple[str, Me]) -> None:
            slug, me = result
            self._remember_as = me.email if remember else None
            self._signed_in(me, prefer_org=slug)
            name = self.org.org.name if self.org else slug
            self.banner.show(f"Welcome to {name}! You joined as {self.role}.", Level.success)
            if then:
                then()

        self.submit(work, done, self._auth_failed)

    def require_client(self) -> DalgoClient | None:
        """The client, or None after telling the user there is no server yet (the local one failed to start)."""
        if self.client is None:
            self.banner.show(
                "Not connected to a server yet: connect to a hosted server, or restart Dalgo.", Level.error
            )
        return self.client

    def _start_auth(self, remember_as: str | None) -> None:
        self._remember_as = remember_as
        self.banner.clear()
        self._set_busy(True)

    def _auth_failed(self, err: BaseException) -> None:
        self._remember_as = None
        self.handle_error(err)

    def _signed_in(self, me: Me, prefer_org: str | None = None) -> None:
        assert self.target is not None and self.client is not None
        self._set_busy(False)
        self.me = me
        self._persist_tokens()
        slugs = [m.org.slug for m in me.memberships]
        wanted = prefer_org or self.prefs.last_org(self.target.key, me.email)
        slug = wanted if wanted in slugs else (slugs[0] if slugs else None)
        self._activate(slug)
        self.prefs.remember_server(self.target.key, None if self.target.embedded else self.target.url)
        if self.banner.notice and self.banner.notice.level == Level.error:
            self.banner.clear()
        self._set_screen(Screen.main)
        self.session_changed.emit()

    def _persist_tokens(self) -> None:
        assert self.target is not None and self.client is not None
        tokens = self.client.tokens
        if self._remember_as and tokens:
            self.credentials.save(self.target.key, Remembered(self._remember_as, tokens.refresh_token))
        elif not self._remember_as:
            self.credentials.forget(self.target.key)

    def _activate(self, slug: str | None) -> None:
        assert self.client is not None and self.target is not None
        membership = next((m for m in self.me.memberships if m.org.slug == slug), None) if self.me else None
        self.client.use_org(membership.org.slug if membership else None)
        self.org = membership
        if self.me:
            self.prefs.remember_user(self.target.key, self.me.email, membership.org.slug if membership else None)
        self.org_changed.emit(membership)

    def switch_org(self, slug: str) -> None:
        """Make another of my orgs active: one call, no restart, no new sign-in."""
        if self.org is None or self.org.org.slug != slug:
            self._activate(slug)

    def logout(self) -> None:
        """Forget the sign-in here at once; revoke it on the server in the background."""
        old = self.client
        if self.target is not None:
            self.credentials.forget(self.target.key)
        self._signed_out()
        if old is not None:

            def revoke() -> None:
                old.logout()
                old.close()

            self.submit(revoke, lambda _r: None, lambda _e: None)

    def _signed_out(self) -> None:
        assert self.target is not None
        if self.client is not None:
            self.client.on_tokens = None
        self._new_client(self.target)
        self.me, self.org, self._remember_as = None, None, None
        self._set_screen(Screen.login)
        self.org_changed.emit(None)
        self.session_changed.emit()

    def refresh_me(self, prefer_org: str | None = None) -> None:
        """Reload my memberships (after joining or creating an org) and keep the active org when I still can."""
        client = self.require_client()
        if client is None:
            return

        def done(me: Me) -> None:
            self.me = me
            slugs = [m.org.slug for m in me.memberships]
            current = prefer_org or (self.org.org.slug if self.org else None)
            self._activate(current if current in slugs else (slugs[0] if slugs else None))
            self.session_changed.emit()

        self.submit(client.me, done)
