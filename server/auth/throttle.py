"""Lock out repeated failed sign-ins per account and per IP address."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.auth.errors import AccountLocked
from server.core.config import Settings
from server.models import LoginThrottle
from server.models.base import utcnow


class LoginThrottler:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.window = timedelta(minutes=settings.login_lockout_minutes)

    def keys(self, email: str, ip: str) -> list[tuple[str, int]]:
        s = self.settings
        return [
            (f"account:{email.lower()}", s.login_max_failures_per_account),
            (f"ip:{ip}", s.login_max_failures_per_ip),
        ]

    def check(self, email: str, ip: str) -> None:
        """Raise AccountLocked when the account or the address is locked right now."""
        now = utcnow()
        for key, _limit in self.keys(email, ip):
            row = self.session.get(LoginThrottle, key)
            if row and row.locked_until and row.locked_until > now:
                raise _locked(key, row.locked_until, now)

    def failed(self, email: str, ip: str) -> None:
        now = utcnow()
        for key, limit in self.keys(email, ip):
            row = self.session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0, window_start=now)
            if now - row.window_start > self.window:
                row.failures, row.window_start, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= limit:
                row.locked_until = now + self.window
            self.session.add(row)
        self.session.flush()

    def succeeded(self, email: str) -> None:
        row = self.session.get(LoginThrottle, f"account:{email.lower()}")
        if row:
            self.session.delete(row)
            self.session.flush()


def _locked(key: str, until: datetime, now: datetime) -> AccountLocked:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    who = "this account" if key.startswith("account:") else "this computer's address"
    return AccountLocked(
        f"Too many failed sign-in attempts for {who}. Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
        "or ask an admin to issue a password reset.",
        seconds,
    )
