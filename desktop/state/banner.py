"""The one place messages for the user go: a banner at the top of the window shows the latest notice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from desktop.client.errors import ApiError, ServerUnreachable, message
from desktop.state.events import Event

log = logging.getLogger(__name__)


class Level(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    success = "success"


@dataclass(frozen=True)
class Notice:
    text: str
    level: Level = Level.info


def describe(err: BaseException) -> str:
    """A message a person can act on, for any failure a background call may raise."""
    if isinstance(err, ServerUnreachable):
        log.info("Server unreachable: %s", err.technical)
    if isinstance(err, ApiError):
        return message(err)
    return f"Something went wrong in the app ({type(err).__name__}: {err}). Details are in the log."


class Banner:
    """Holds the current notice; `changed` fires with the Notice, or None when it is dismissed."""

    def __init__(self) -> None:
        self.changed = Event()
        self.notice: Notice | None = None

    def show(self, text: str, level: Level = Level.info) -> None:
        self.notice = Notice(text, level)
        self.changed.emit(self.notice)

    def error(self, err: BaseException) -> None:
        if not isinstance(err, ApiError):
            log.error("Unexpected error", exc_info=err)
        self.show(describe(err), Level.error)

    def clear(self) -> None:
        if self.notice is not None:
            self.notice = None
            self.changed.emit(None)
