"""Sign-in, token rotation, logout, password change and reset, first-run setup."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.audit.service import AuditService
from server.auth.errors import (
    AlreadySetUp,
    InvalidCredentials,
    InvalidEmail,
    InvalidRefreshToken,
    InvalidResetToken,
    WeakPassword,
)
from server.auth.schemas import TokenPair, normalise_email
from server.auth.throttle import LoginThrottler
from server.core.config import Settings
from server.core.security import (
    create_access_token,
    hash_password,
    new_opaque_token,
    password_problem,
    token_digest,
    verify_password,
)
from server.models import AuthSession, PasswordResetToken, RefreshToken, User
from server.models.base import utcnow

log = logging.getLogger(__name__)


class AuthService:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.audit = AuditService(session)

    # --- sign-in and tokens -------------------------------------------------------------------
    def login(self, email: str, password: str, ip: str) -> TokenPair:
        user = self.authenticate(email, password, ip, via="login")
        if user is None:
            raise InvalidCredentials("The email or password is not right.")
        self.audit.record("login.succeeded", actor=user, ip=ip)
        return self.start_session(user, ip)

    def authenticate(self, email: str, password: str, ip: str, *, via: str) -> User | None:
        """Check a password under the sign-in lockout: a locked account is refused, a failure counts (any `via`)."""
        throttle = LoginThrottler(self.session, self.settings)
        throttle.check(email, ip)
        user = self.user_by_email(email)
        if user is None or not user.is_active or not verify_password(password, user.password_hash):
            throttle.failed(email, ip)
            self.audit.record("login.failed", actor=user, actor_email=email.lower(), ip=ip, via=via)
            self.session.commit()  # the failure count and audit entry must outlive the failed request
            return None
        throttle.succeeded(email, ip)
        return user

    def start_session(self, user: User, ip: str | None) -> TokenPair:
        auth_session = AuthSession(user_id=user.id, ip=ip)
        self.session.add(auth_session)
        self.session.flush()
        return self._issue(user, auth_session)

    def _issue(self, user: User, auth_session: AuthSession) -> TokenPair:
        refresh = new_opaque_token()
        self.session.add(
            RefreshToken(
                session_id=auth_session.id,
                token_hash=token_digest(refresh),
                expires_at=utcnow() + timedelta(days=self.settings.refresh_token_days),
            )
        )
        self.session.flush()
        minutes = self.settings.access_token_minutes
        access = create_access_token(self.settings.resolved_secret_key(), user.id, auth_session.id, minutes)
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=minutes * 60)

    def refresh(self, token: str) -> TokenPair:
        """Rotate: the old refresh token is spent; presenting a spent one ends the whole session."""
        row = self.session.scalars(select(RefreshToken).where(RefreshToken.token_hash == token_digest(token))).first()
        if row is None:
            raise InvalidRefreshToken("This refresh token is not known; sign in again.")
        auth_session = self.session.get(AuthSession, row.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            raise InvalidRefreshToken("This sign-in was ended; sign in again.")
        if row.used_at is not None:
            auth_session.revoked_at = utcnow()
            self.session.flush()
            self.session.commit()  # keep the revocation even though the request fails
            raise InvalidRefreshToken(
                "This refresh token was already used, so the sign-in was ended for safety; sign in again."
            )
        if row.expires_at < utcnow():
            raise InvalidRefreshToken("The sign-in has expired; sign in again.")
        row.used_at = utcnow()
        user = self.session.get(User, auth_session.user_id)
        if user is None or not user.is_active:
            raise InvalidRefreshToken("This account no longer exists or is disabled.")
        return self._issue(user, auth_session)

    def logout(self, user: User, session_id: str | None, ip: str) -> None:
        if session_id:
            auth_session = self.session.get(AuthSession, session_id)
            if auth_session is not None and auth_session.user_id == user.id:
                auth_session.revoked_at = utcnow()
        self.audit.record("logout", actor=user, ip=ip)

    def revoke_sessions(self, user_id: str, keep: str | None = None) -> None:
        stmt = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        if keep:
            stmt = stmt.where(AuthSession.id != keep)
        self.session.execute(stmt.values(revoked_at=utcnow()))

    # --- passwords ----------------------------------------------------------------------------
    def check_password_strength(self, password: str, email: str | None) -> None:
        problem = password_problem(password, email, self.settings.password_min_length)
        if problem:
            raise WeakPassword(problem)

    def change_password(self, user: User, current: str, new: str, session_id: str | None, ip: str) -> None:
        if not verify_password(current, user.password_hash):
            raise InvalidCredentials("The current password is not right.")
        self.check_password_strength(new, user.email)
        user.password_hash = hash_password(new)
        self.revoke_sessions(user.id, keep=session_id)
        self.audit.record("password.changed", actor=user, ip=ip)

    def issue_reset_token(
        self, user: User, issued_by: User | None, org_id: str | None, ip: str
    ) -> tuple[str, PasswordResetToken]:
        token = new_opaque_token()
        row = PasswordResetToken(
            user_id=user.id,
            token_hash=token_digest(token),
            expires_at=utcnow() + timedelta(minutes=self.settings.password_reset_minutes),
        )
        self.session.add(row)
        self.session.flush()
        self.audit.record("password.reset_issued", actor=issued_by, org_id=org_id, target=user.email, ip=ip)
        return token, row

    def request_reset(self, email: str, ip: str) -> bool:
        """Mail a reset token when SMTP is configured; answers the same whether the email exists or not."""
        user = self.user_by_email(email)
        if user is None or not self.settings.smtp_host:
            return bool(self.settings.smtp_host)
        token, _row = self.issue_reset_token(user, None, None, ip)
        self._send_reset_mail(user.email, token)
        return True

    def _send_reset_mail(self, to: str, token: str) -> None:
        s = self.settings
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = "Dalgo password reset", s.smtp_from, to
        msg.set_content(
            f"Someone asked to reset your Dalgo password.\n\nYour reset code: {token}\n\n"
            f"It works once, for {s.password_reset_minutes} minutes. If it was not you, ignore this mail."
        )
        try:
            with smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=20) as smtp:
                if s.smtp_user:
                    smtp.starttls()
                    smtp.login(s.smtp_user, s.smtp_password or "")
                smtp.send_message(msg)
        except OSError as err:
            log.warning("Could not send the reset mail: %s", err)

    def reset_password(self, token: str, new_password: str, ip: str) -> None:
        row = self.session.scalars(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
        ).first()
        if row is None or row.used_at is not None or row.expires_at < utcnow():
            raise InvalidResetToken(
                "This reset code is not valid: it is wrong, already used or expired. Ask for a new one."
            )
        user = self.session.get(User, row.user_id)
        if user is None:
            raise InvalidResetToken("The account of this reset code no longer exists.")
        self.check_password_strength(new_password, user.email)
        row.used_at = utcnow()
        user.password_hash = hash_password(new_password)
        self.revoke_sessions(user.id)
        self.audit.record("password.reset", actor=user, ip=ip)

    # --- users and first run ------------------------------------------------------------------
    def user_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(func.lower(User.email) == email.lower())).first()

    def needs_setup(self) -> bool:
        return (self.session.scalar(select(func.count()).select_from(User)) or 0) == 0

    def create_user(self, email: str, password: str, *, superuser: bool = False) -> User:
        email = _sign_in_address(email)
        self.check_password_strength(password, email)
        user = User(email=email.lower(), password_hash=hash_password(password), is_superuser=superuser)
        self.session.add(user)
        self.session.flush()
        return user

    def ensure_first_run(self) -> None:
        if not self.needs_setup():
            raise AlreadySetUp("This server is already set up; sign in instead.")


def _sign_in_address(email: str) -> str:
    try:
        return normalise_email(email)
    except ValidationError as err:
        reason = str(err.errors()[0].get("ctx", {}).get("reason") or "it is not a valid address").rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        raise InvalidEmail(
            f"{email} is not an email address people can sign in with ({reason}); use a real address."
        ) from err
