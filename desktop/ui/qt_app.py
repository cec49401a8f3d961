"""The QApplication: created once, themed, and run."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar, QWidget

from desktop.ui.qt_theme import apply_theme


def create_application(argv: list[str] | None = None) -> QApplication:
    """The app's QApplication (reused if one exists, as under pytest-qt), with the Dalgo theme."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Dalgo")
    # no application display name: Qt would append " — Dalgo" to titles that already start with "Dalgo —"
    app.setOrganizationName("Dalgo")
    apply_theme(app)
    install_wheel_guard(app)
    return app


GUARDED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


def _guarded(obj: QObject) -> bool:
    return isinstance(obj, GUARDED) and not isinstance(obj, QScrollBar)


class WheelGuard(QObject):
    """App-wide: a combo, spin box or slider changes with the wheel only when it has focus; otherwise the page scrolls."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not _guarded(watched):
            return False
        widget: QWidget = watched  # type: ignore[assignment]
        if event.type() == QEvent.Type.Polish and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel over it must not give it focus
        if event.type() != QEvent.Type.Wheel or widget.hasFocus():
            return False
        self._pass_to_page(widget, event)  # type: ignore[arg-type]
        return True

    @staticmethod
    def _pass_to_page(widget: QWidget, event: QWheelEvent) -> None:
        """Offer the wheel to each ancestor in turn until one takes it (e.g. a scroll area's viewport)."""
        parent = widget.parentWidget()
        while parent is not None:
            if not _guarded(parent):
                pos = QPointF(widget.mapTo(parent, event.position().toPoint()))
                forwarded = QWheelEvent(pos, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                                        event.buttons(), event.modifiers(), event.phase(), event.inverted())  # fmt: skip
                QApplication.sendEvent(parent, forwarded)
                if forwarded.isAccepted():
                    return
            if parent.isWindow():
                return
            parent = parent.parentWidget()


def install_wheel_guard(app: QApplication) -> None:
    """Install the one WheelGuard on the application (idempotent), and fix controls already built."""
    if app.findChild(WheelGuard, "WheelGuard") is not None:
        return
    guard = WheelGuard(app)
    guard.setObjectName("WheelGuard")
    app.installEventFilter(guard)
    for widget in app.allWidgets():
        if _guarded(widget) and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


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
