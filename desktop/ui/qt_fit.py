"""Fitting small screens: labels that shorten long names with "…" (the whole name in a tooltip), a page body
that scrolls instead of squeezing, and a toolbar whose buttons that do not fit move into a "More" menu."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QWidget,
)


class QtElidedLabel(QLabel):
    """One line that ends in "…" when it does not fit; the whole text is then its tooltip."""

    def __init__(self, text: str = "", name: str = "") -> None:
        super().__init__()
        if name:
            self.setObjectName(name)
        self.full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self.full = text
        self._elide()

    def setText(self, text: str) -> None:
        self.set_full_text(text)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self.full) + 4, super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, self.contentsRect().width())
        QLabel.setText(self, shown)
        self.setToolTip(self.full if shown != self.full else "")


def scroll_body(content: QWidget) -> QScrollArea:
    """`content` in a frameless scroll area: on a short screen the page scrolls instead of overlapping itself."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.viewport().setAutoFillBackground(False)
    content.setAutoFillBackground(False)
    scroll.setWidget(content)
    return scroll


class QtOverflowBar(QWidget):
    """A row of buttons; those that do not fit hide, and a "More" menu offers them instead (never cut mid-word)."""

    def __init__(self, buttons: list[QPushButton]) -> None:
        super().__init__()
        self.items = buttons
        self.more = QToolButton()
        self.more.setText("More ▾")
        self.more.setToolTip("More actions")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self)
        self.menu.aboutToShow.connect(self.relayout)  # entries carry the buttons' current enabled state
        self.more.setMenu(self.menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for button in buttons:
            layout.addWidget(button)
        layout.addWidget(self.more)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.more.hide()

    def sizeHint(self) -> QSize:
        width = sum(b.sizeHint().width() + 6 for b in self.items if not b.isHidden() or b.property("overflowed"))
        return QSize(width, max((b.sizeHint().height() for b in self.items), default=0))

    def minimumSizeHint(self) -> QSize:
        return QSize(self.more.sizeHint().width(), self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()

    def relayout(self) -> None:
        """Show buttons from the left while they fit; the rest go into the More menu (same order)."""
        wanted = [b for b in self.items if b.property("wanted") is not False]
        room = self.width()
        total = sum(b.sizeHint().width() + 6 for b in wanted)
        if total > room:
            room -= self.more.sizeHint().width() + 6
        self.menu.clear()
        for button in self.items:
            fits = button in wanted and button.sizeHint().width() + 6 <= room
            if button in wanted and fits:
                room -= button.sizeHint().width() + 6
            else:
                room = -1  # keep the order: once one overflows, the rest do too
            button.setProperty("overflowed", button in wanted and not fits)
            button.setVisible(fits)
            if button in wanted and not fits:
                self._menu_entry(button)
        self.more.setVisible(not self.menu.isEmpty())

    def set_wanted(self, button: QPushButton, wanted: bool) -> None:
        """Show or hide a button by choice (not for lack of room)."""
        button.setProperty("wanted", wanted)
        self.relayout()

    def _menu_entry(self, button: QPushButton) -> None:
        action = QAction(button.text(), self.menu)
        action.setEnabled(button.isEnabled())
        action.setToolTip(button.toolTip())
        action.triggered.connect(button.click)
        self.menu.addAction(action)
