"""The QApplication: created once, themed, and run."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.ui.qt_theme import apply_theme


def create_application(argv: list[str] | None = None) -> QApplication:
    """The app's QApplication (reused if one exists, as under pytest-qt), with the Dalgo theme."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Dalgo")
    app.setApplicationDisplayName("Dalgo")
    app.setOrganizationName("Dalgo")
    apply_theme(app)
    return app


@contextmanager
def quit_on_signals(app: QApplication) -> Iterator[None]:
    """While inside: Ctrl+C or SIGTERM end the event loop normally, so the embedded server shuts down cleanly."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, lambda *_args: app.exit(0))
    # Python runs signal handlers only between bytecodes: wake it up regularly while Qt waits in C++.
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    try:
        yield
    finally:
        timer.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
