"""Mail through the server's SMTP settings (DALGO_SMTP_HOST …), as password-reset mail is sent."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from server.core.config import Settings

log = logging.getLogger(__name__)


def send_mail(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send one plain-text mail; False (logged) when SMTP is not set up or the server refused it."""
    if not settings.smtp_host:
        return False
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, settings.smtp_from, to
    msg.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_user:
                smtp.starttls()
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as err:
        log.warning("Could not send a notification mail: %s", err)
        return False
    return True
