"""Lock out repeated failed sign-ins per account, per (address, account), and past a high per-address ceiling.

Keying the tight limit on (address, account) rather than on the address alone keeps a field office behind one
shared address working when one person mistypes; the per-address ceiling still stops one address spraying
guesses across many accounts.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.auth.errors import AccountLocked
from server.core.config import Settings
from server.models import LoginThrottle
from server.models.base import utcnow


def account_key(email: str) -> str:
    return f"account:{email.lower()}"


def ip_account_key(email: str, ip: str) -> str:
    return f"ip-account:{ip}|{email.lower()}"


def ip_key(ip: str) -> str:
    return f"ip:{ip}"


class LoginThrottler:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.window = timedelta(minutes=settings.login_lockout_minutes)

    def keys(self, email: str, ip: str) -> list[tuple[str, int]]:
        s = self.settings
        return [
            (account_key(email), s.login_max_failures_per_account),
            (ip_account_key(email, ip), s.login_max_failures_per_ip_account),
            (ip_key(ip), s.login_max_failures_per_ip),
        ]

    def check(self, email: str, ip: str) -> None:
        """Raise AccountLocked when the account, this address for it, or the address as a whole is locked now."""
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

    def succeeded(self, email: str, ip: str) -> None:
        """Forget this account's failures; the address's count stays, so one known password cannot reset a spray."""
        for key in (account_key(email), ip_account_key(email, ip)):
            row = self.session.get(LoginThrottle, key)
            if row:
                self.session.delete(row)
        self.session.flush()


def _locked(key: str, until: datetime, now: datetime) -> AccountLocked:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    who = "this computer's address" if key.startswith("ip:") else "this account"
    return AccountLocked(
        f"Too many failed sign-in attempts for {who}. Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
        "or ask an admin to issue a password reset.",
        seconds,
    )
