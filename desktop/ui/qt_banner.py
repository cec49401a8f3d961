"""QtBanner: the one presenter of errors and notices, a strip at the top of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

from desktop.state.banner import Banner, Level, Notice
from desktop.ui.qt_theme import BANNER, icon

AUTO_HIDE_MS = {Level.success: 8000, Level.info: 12000}


class QtBanner(QFrame):
    """Shows `banner.notice`; errors stay until dismissed or replaced, good news fades after a while."""

    def __init__(self, banner: Banner) -> None:
        super().__init__()
        self.setObjectName("Banner")
        self.banner = banner
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setIcon(icon("close", "#475569", 14))
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(banner.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 10, 10, 10)
        layout.addWidget(self.text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(banner.clear)
        banner.changed.connect(self._show)
        self.hide()

    def _show(self, notice: Notice | None) -> None:
        self._timer.stop()
        if notice is None:
            self.hide()
            return
        bg, border, fg = BANNER[notice.level.value]
        self.setStyleSheet(
            f"#Banner {{ background: {bg}; border-bottom: 1px solid {border}; }} QLabel {{ color: {fg}; }}"
        )
        self.setProperty("level", notice.level.value)
        self.text.setText(notice.text)
        self.show()
        if notice.level in AUTO_HIDE_MS:
            self._timer.start(AUTO_HIDE_MS[notice.level])
