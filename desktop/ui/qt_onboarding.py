"""QtOnboarding: first run — create the first admin account, then the first organisation."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.state.session import AppState, Screen
from desktop.ui.qt_server_switch import QtServerSwitch
from desktop.ui.qt_theme import brand, card, centered, label, restyle, set_kind


def _edit(placeholder: str, password: bool = False) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    if password:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class QtOnboarding(QWidget):
    """Two steps in one card; the server creates both the account and the organisation in one call."""

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        panel, layout = card(32, 14)
        layout.addWidget(brand())
        layout.addWidget(label("Welcome! Let's set up Dalgo", "Title"))
        self.steps = [label("1  Your admin account"), label("2  Your organisation")]
        steps = QHBoxLayout()
        for step in self.steps:
            steps.addWidget(step)
        steps.addStretch(1)
        layout.addLayout(steps)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._account_page())
        self.pages.addWidget(self._org_page())
        layout.addWidget(self.pages)
        layout.addSpacing(6)
        self.server_switch = QtServerSwitch(state)
        layout.addWidget(self.server_switch)
        screen = centered(panel, 520)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(screen)
        state.busy_changed.connect(self._busy)
        state.screen_changed.connect(self._screen_changed)
        self._go(0)

    def _account_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(
            label(
                "This computer runs its own Dalgo server: your data stays here and everything works offline. "
                "First, create the administrator account. It can create organisations and invite your team.",
                "Muted",
                wrap=True,
            )
        )
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setSpacing(8)
        self.email = _edit("you@example.org")
        self.password = _edit("at least 10 characters, hard to guess", password=True)
        self.confirm = _edit("type it again", password=True)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        form.addRow("Repeat password", self.confirm)
        layout.addLayout(form)
        self.next_button = QPushButton("Next")
        set_kind(self.next_button, "primary")
        self.next_button.clicked.connect(self.next)
        for edit in (self.email, self.password, self.confirm):
            edit.returnPressed.connect(self.next)
        layout.addWidget(self.next_button)
        layout.addStretch(1)
        return page

    def _org_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(
            label(
                "Now name your organisation, e.g. your NGO or field office. Its data, members and pipelines "
                "are kept apart from any other organisation you add later.",
                "Muted",
                wrap=True,
            )
        )
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setSpacing(8)
        self.org_name = _edit("e.g. Sunrise Health, Kisumu office")
        self.org_name.returnPressed.connect(self.finish)
        form.addRow("Organisation", self.org_name)
        layout.addLayout(form)
        self.remember = QCheckBox("Keep me signed in on this computer")
        self.remember.setChecked(True)
        layout.addWidget(self.remember)
        buttons = QHBoxLayout()
        back = QPushButton("Back")
        back.clicked.connect(lambda: self._go(0))
        self.finish_button = QPushButton("Create and open Dalgo")
        set_kind(self.finish_button, "primary")
        self.finish_button.clicked.connect(self.finish)
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.finish_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    def _go(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        for i, step in enumerate(self.steps):
            restyle(step, "StepOn" if i == index else "StepOff")
        (self.org_name if index else self.email).setFocus()

    def next(self) -> None:
        if self.state.check_new_account(self.email.text(), self.password.text(), self.confirm.text()):
            self._go(1)

    def finish(self) -> None:
        self.state.setup(
            self.email.text(),
            self.password.text(),
            self.confirm.text(),
            self.org_name.text(),
            self.remember.isChecked(),
            failed=lambda _err: self._go(0),  # the server judged the account (weak password, bad email)
        )

    def _screen_changed(self, screen: Screen) -> None:
        if screen != Screen.onboarding:  # done or left: do not keep the password in a widget
            self.password.clear()
            self.confirm.clear()

    def _busy(self, busy: bool) -> None:
        self.finish_button.setEnabled(not busy)
        self.finish_button.setText("Creating…" if busy else "Create and open Dalgo")
