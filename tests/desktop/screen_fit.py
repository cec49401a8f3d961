"""What 'fits the screen' means, checked on real widgets: nothing outside its window, no cut-off text,
dialog buttons on screen. Used by test_screen_sizes.py."""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import Qt as GuiQt  # mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QCheckBox,
    QDialog,
    QLabel,
    QPushButton,
    QRadioButton,
    QSplitter,
    QToolButton,
    QWidget,
)

SLACK = 2  # px of rounding a layout may leave
MNEMONIC = re.compile(r"&[^&\s]")


def describe(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""  # type: ignore[union-attr]
    name = widget.objectName()
    return f"{type(widget).__name__}{f'#{name}' if name else ''}{f' {text[:60]!r}' if text else ''}"


def scrolled(widget: QWidget, root: QWidget) -> bool:
    """Inside a scroll area's viewport: reachable by scrolling, so it may lie outside the window."""
    child, parent = widget, widget.parentWidget()
    while parent is not None and child is not root:
        if isinstance(parent, QAbstractScrollArea) and child is parent.viewport():
            return True
        child, parent = parent, parent.parentWidget()
    return False


def on_show(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisibleTo(root) and not widget.isWindow() and widget.window() is root.window()


def text_cut(widget: QWidget) -> str | None:
    """Why the widget's words do not show whole, or None when they do."""
    if isinstance(widget, (QPushButton, QToolButton, QCheckBox, QRadioButton)) and widget.text():
        if MNEMONIC.search(widget.text().replace("&&", "")):
            return "shows '&' as an underline (write '&&')"
        if widget.width() + SLACK < widget.sizeHint().width():
            return f"text cut: {widget.width()} px wide, needs {widget.sizeHint().width()}"
    if isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
        return _label_cut(widget)
    return None


def _label_cut(label: QLabel) -> str | None:
    room = label.contentsRect()
    if label.wordWrap():
        need = label.heightForWidth(label.width())
        return f"wrapped text cut: {label.height()} px tall, needs {need}" if need > label.height() + SLACK else None
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(label.text())
    )
    need = (
        label.sizeHint().width() if rich else max(map(label.fontMetrics().horizontalAdvance, label.text().split("\n")))
    )
    return f"text cut: {room.width()} px wide, needs {need}" if need > room.width() + SLACK else None


def squeezed(widget: QWidget) -> bool:
    """A splitter pane narrower than it can be: its neighbours are drawn over it."""
    parent = widget.parentWidget()
    return isinstance(parent, QSplitter) and widget.width() + SLACK < widget.minimumSizeHint().width()


def fit_problems(root: QWidget) -> list[str]:
    """Every visible widget of `root` inside its parent and `root`, with its words whole."""
    bounds = root.rect().adjusted(-SLACK, -SLACK, SLACK, SLACK)
    problems = []
    for widget in root.findChildren(QWidget):
        if not on_show(widget, root) or scrolled(widget, root) or widget.width() * widget.height() == 0:
            continue
        rect = QRect(widget.mapTo(root, QPoint(0, 0)), widget.size())
        parent = widget.parentWidget()
        inside_parent = parent is None or parent.rect().adjusted(-SLACK, -SLACK, SLACK, SLACK).contains(
            widget.geometry()
        )
        if not bounds.contains(rect) or not inside_parent:
            problems.append(f"{describe(widget)} lies outside the window or its parent: {rect.getRect()}")
        elif squeezed(widget):
            problems.append(f"{describe(widget)} is squeezed below its minimum width, under its neighbours")
        elif why := text_cut(widget):
            problems.append(f"{describe(widget)}: {why}")
    return problems


def dialog_problems(dialog: QDialog, area: QRect) -> list[str]:
    """The dialog fits the screen's free area, its buttons are inside it, and nothing in it is cut."""
    problems = [f"{type(dialog).__name__}: {p}" for p in fit_problems(dialog)]
    if dialog.width() > area.width() or dialog.height() > area.height():
        problems.append(f"{type(dialog).__name__} is {dialog.width()}x{dialog.height()}, larger than the screen")
    for button in dialog.findChildren(QPushButton):
        if on_show(button, dialog) and not scrolled(button, dialog):
            corner = button.mapTo(dialog, QPoint(button.width(), button.height()))
            if corner.x() > area.width() or corner.y() > area.height():
                problems.append(f"{type(dialog).__name__}: button {button.text()!r} is off the screen")
    return problems
