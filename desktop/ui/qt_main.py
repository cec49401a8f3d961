"""QtMainWindow: the screen the session is on (starting, onboarding, login, main), with the banner floating over it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QProgressBar, QStackedWidget, QVBoxLayout, QWidget

from desktop.state.session import AppState, Screen
from desktop.state.window import MINIMUM_SIZE, Rect, window_place
from desktop.ui.qt_app import install_wheel_guard
from desktop.ui.qt_banner import QtBanner
from desktop.ui.qt_dialogs import screen_area
from desktop.ui.qt_login import QtLogin
from desktop.ui.qt_onboarding import QtOnboarding
from desktop.ui.qt_shell import QtShell
from desktop.ui.qt_theme import brand, card, centered, label

ReadyHook = Callable[["QtMainWindow", Screen], None]


class QtStartingScreen(QWidget):
    def __init__(self) -> None:
        super().__init__()
        panel, layout = card(32, 14)
        layout.addWidget(brand())
        text = label("Starting the Dalgo server on this computer…", "Muted", wrap=True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(text)
        bar = QProgressBar()
        bar.setRange(0, 0)
        bar.setTextVisible(False)
        layout.addWidget(bar)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(centered(panel, 420))


class QtMainWindow(QMainWindow):
    """One window for the whole app; `on_ready` fires once the first interactive screen is painted."""

    def __init__(self, state: AppState, on_ready: ReadyHook | None = None) -> None:
        super().__init__()
        self.state = state
        self.on_ready = on_ready
        self.setWindowTitle("")  # Qt appends the app's display name, "Dalgo"
        self.setMinimumSize(*MINIMUM_SIZE)
        self.place_on_screen()
        install_wheel_guard(QApplication.instance())  # type: ignore[arg-type]
        self.starting = QtStartingScreen()
        self.onboarding = QtOnboarding(state)
        self.login = QtLogin(state)
        self.shell = QtShell(state)
        self.screens = QStackedWidget()
        self.screen_widgets = {
            Screen.starting: self.starting,
            Screen.onboarding: self.onboarding,
            Screen.login: self.login,
            Screen.main: self.shell,
        }
        for widget in self.screen_widgets.values():
            self.screens.addWidget(widget)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.screens, 1)
        self.setCentralWidget(central)
        self.banner = QtBanner(state.banner, central)
        state.screen_changed.connect(self._show_screen)
        state.org_changed.connect(lambda m: self.setWindowTitle(m.org.name if m else ""))
        self._show_screen(state.screen)

    def place_on_screen(self) -> None:
        """Open where the user left the window, never larger than the screen's free area (taskbar excluded)."""
        free = screen_area(self)
        place, maximised = window_place(self.state.prefs.window, Rect(free.x(), free.y(), free.width(), free.height()))
        self.setGeometry(place.x, place.y, place.width, place.height)
        if maximised:
            self.setWindowState(Qt.WindowState.WindowMaximized)

    def _show_screen(self, screen: Screen) -> None:
        self.screens.setCurrentWidget(self.screen_widgets[screen])
        if screen == Screen.main:
            self.shell.go("home")
            self.shell.home_page.refresh()
        if screen != Screen.starting and self.on_ready is not None:
            hook, self.on_ready = self.on_ready, None
            QTimer.singleShot(0, lambda: hook(self, screen))

    def closeEvent(self, event: QCloseEvent) -> None:
        normal = self.normalGeometry() if self.isMaximized() else self.geometry()
        self.state.prefs.remember_window(normal.x(), normal.y(), normal.width(), normal.height(), self.isMaximized())
        self.state.banner.clear()
        super().closeEvent(event)
