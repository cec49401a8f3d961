"""QtBanner: the one presenter of errors and notices, a card floating over the top of the window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QGraphicsDropShadowEffect, QHBoxLayout, QLabel, QToolButton, QWidget

from desktop.state.banner import Banner, Level, Notice
from desktop.ui.qt_theme import BANNER, icon

AUTO_HIDE_MS = {Level.success: 8000, Level.info: 12000}
MAX_WIDTH, TOP = 640, 10


class QtBanner(QFrame):
    """Shows `banner.notice` over the page, never in a layout, so nothing under the mouse moves when it comes or goes.

    Errors stay until dismissed or replaced; good news fades after a while.
    """

    def __init__(self, banner: Banner, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("Banner")
        self.banner = banner
        self.host = host
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
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(18)
        shadow.setOffset(0, 3)
        shadow.setColor(QColor(15, 23, 42, 60))
        self.setGraphicsEffect(shadow)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(banner.clear)
        banner.changed.connect(self._show)
        host.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.host and event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False

    def place(self) -> None:
        """Centre the card at the top of the host, as wide as the text needs and the window allows."""
        width = min(MAX_WIDTH, max(200, self.host.width() - 32))
        layout = self.layout()
        height = layout.heightForWidth(width) if layout is not None and layout.hasHeightForWidth() else -1
        height = max(height, self.minimumSizeHint().height(), self.sizeHint().height() if height < 0 else 0)
        self.setGeometry((self.host.width() - width) // 2, TOP, width, height)
        self.raise_()

    def _show(self, notice: Notice | None) -> None:
        self._timer.stop()
        if notice is None:
            self.hide()
            return
        bg, border, fg = BANNER[notice.level.value]
        self.setStyleSheet(
            f"#Banner {{ background: {bg}; border: 1px solid {border}; border-radius: 8px; }} QLabel {{ color: {fg}; }}"
        )
        self.setProperty("level", notice.level.value)
        self.text.setText(notice.text)
        self.show()
        self.place()
        if notice.level in AUTO_HIDE_MS:
            self._timer.start(AUTO_HIDE_MS[notice.level])
