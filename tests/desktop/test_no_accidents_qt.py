"""No accidental edits, no moving targets: the app-wide wheel guard, messages that float over the page,
the window that opens inside the screen and remembers its place."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QScreen, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.state.banner import Level
from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.session import AppState
from desktop.state.window import MINIMUM_SIZE, Rect, window_place
from desktop.ui.qt_app import install_wheel_guard
from desktop.ui.qt_main import QtMainWindow
from desktop.ui.qt_runner import QtRunner

pytestmark = [pytest.mark.qt]


def wheel(widget: QWidget, notches: int = -1) -> None:
    """One real wheel event over the middle of `widget`, delivered through the application like a mouse's."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(widget, event)


@pytest.fixture
def form(qtbot: QtBot) -> tuple[QScrollArea, QComboBox, QSpinBox, QSlider]:
    """A tall scrolling form with a combo, a spin box and a slider, as in the Add-source dialog."""
    install_wheel_guard(QApplication.instance())  # type: ignore[arg-type]
    body = QWidget()
    layout = QVBoxLayout(body)
    combo, spin, slider = QComboBox(), QSpinBox(), QSlider(Qt.Orientation.Horizontal)
    combo.addItems(["auto", "yes", "no"])
    spin.setRange(0, 100)
    spin.setValue(50)
    slider.setRange(0, 100)
    slider.setValue(50)
    layout.addWidget(QPushButton("above"))
    for control in (combo, spin, slider):
        layout.addWidget(control)
        layout.addSpacing(400)
    scroll = QScrollArea()
    scroll.setWidget(body)
    scroll.setWidgetResizable(True)
    scroll.resize(300, 300)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    return scroll, combo, spin, slider


def test_the_wheel_over_an_unfocused_control_scrolls_the_page_and_changes_nothing(
    qtbot: QtBot, form: tuple[QScrollArea, QComboBox, QSpinBox, QSlider]
) -> None:
    scroll, combo, spin, slider = form
    for control in (combo, spin, slider):
        assert control.focusPolicy() == Qt.FocusPolicy.StrongFocus  # a wheel does not give it focus
    bar = scroll.verticalScrollBar()
    for control in (combo, spin, slider):
        before = bar.value()
        scroll.ensureWidgetVisible(control)
        before = bar.value()
        wheel(control)
        assert bar.value() > before, f"the page scrolls instead of {type(control).__name__}"
    assert (combo.currentText(), spin.value(), slider.value()) == ("auto", 50, 50)


def test_the_wheel_changes_a_control_that_has_focus(
    qtbot: QtBot, form: tuple[QScrollArea, QComboBox, QSpinBox, QSlider]
) -> None:
    scroll, combo, spin, _slider = form
    scroll.activateWindow()
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo)
    assert combo.currentText() == "yes"
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    wheel(spin, +1)
    assert spin.value() == 51


def geometries(root: QWidget) -> list[tuple[str, tuple[int, int, int, int]]]:
    return [(w.objectName() or type(w).__name__, w.geometry().getRect()) for w in root.findChildren(QWidget)]


def test_a_message_floats_over_the_page_and_moves_nothing(qtbot: QtBot, dalgo_home: Path) -> None:
    state = AppState(QtRunner(), FileCredentialStore(dalgo_home / "c.json"), Preferences(dalgo_home / "d.json"))
    window = QtMainWindow(state)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    qtbot.waitExposed(window)
    page = window.screens
    before = geometries(page)
    for level in (Level.success, Level.error):
        state.banner.show("Saved Household survey 2024 — 50,000 rows in 0.4 s. " * 3, level)
        qtbot.waitUntil(window.banner.isVisible)
        assert geometries(page) == before, "a message must not push the page down"
        banner = window.banner.geometry()
        assert window.centralWidget().rect().contains(banner) and banner.height() >= 30
        state.banner.clear()
        qtbot.waitUntil(lambda: not window.banner.isVisible())
        assert geometries(page) == before


def test_the_window_opens_inside_the_screen_and_remembers_where_it_was(
    qtbot: QtBot, dalgo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _self: QRect(0, 0, 1024, 560))
    prefs = Preferences(dalgo_home / "desktop.json")
    window = QtMainWindow(AppState(QtRunner(), FileCredentialStore(dalgo_home / "c.json"), prefs))
    qtbot.addWidget(window)
    assert window.width() <= 1024 and window.height() <= 560 and not window.isMaximized()
    assert window.minimumWidth() <= 1024 and window.minimumHeight() <= 560
    window.show()
    window.setGeometry(40, 30, 900, 500)
    window.close()
    again = QtMainWindow(AppState(QtRunner(), FileCredentialStore(dalgo_home / "c.json"),
                                  Preferences(dalgo_home / "desktop.json")))  # fmt: skip
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (900, 500)


def test_a_saved_place_is_clamped_to_a_smaller_screen_and_keeps_maximised() -> None:
    netbook = Rect(0, 0, 1024, 600)
    place, maximised = window_place({"x": 300, "y": 200, "width": 1300, "height": 800, "maximised": 1}, netbook)
    assert maximised and place.width <= 1024 and place.height <= 600
    assert place.x + place.width <= 1024 and place.y + place.height <= 600
    fresh, maximised = window_place(None, netbook)
    assert not maximised and fresh.width <= 1024 and fresh.height <= 600 and fresh.height >= MINIMUM_SIZE[1]
