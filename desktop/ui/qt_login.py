"""QtLogin: sign in, remember me, forgot password, join with an invitation code, pick the server."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.state.account import AccountModel
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.ui.qt_account import QtAcceptInvitationDialog, QtForgotPasswordDialog
from desktop.ui.qt_server_switch import QtServerSwitch
from desktop.ui.qt_theme import brand, card, centered, label, set_kind


class QtLogin(QWidget):
    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.dialog: QtForgotPasswordDialog | QtAcceptInvitationDialog | None = None
        panel, layout = card(32, 14)
        layout.addWidget(brand())
        layout.addWidget(label("Sign in", "Title"))
        self.subtitle = label("", "Subtitle", wrap=True)
        layout.addWidget(self.subtitle)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setSpacing(8)
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.org")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        layout.addLayout(form)
        self.remember = QCheckBox("Remember me on this computer")
        layout.addWidget(self.remember)
        self.sign_in = QPushButton("Sign in")
        set_kind(self.sign_in, "primary")
        self.sign_in.clicked.connect(self.submit)
        self.email.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)
        layout.addWidget(self.sign_in)
        links = QHBoxLayout()
        self.forgot = QPushButton("Forgot password?")
        self.invite = QPushButton("I have an invitation code")
        for link in (self.forgot, self.invite):
            set_kind(link, "link")
        self.forgot.clicked.connect(self.open_forgot)
        self.invite.clicked.connect(self.open_accept)
        links.addWidget(self.forgot)
        links.addStretch(1)
        links.addWidget(self.invite)
        layout.addLayout(links)
        layout.addSpacing(4)
        self.server_switch = QtServerSwitch(state)
        layout.addWidget(self.server_switch)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(centered(panel, 440))
        state.target_changed.connect(self._target_changed)
        state.busy_changed.connect(self._busy)
        state.screen_changed.connect(self._screen_changed)

    def _target_changed(self, target: ServerTarget) -> None:
        self.subtitle.setText(
            "to the Dalgo server on this computer" if target.embedded else f"to the Dalgo server at {target.url}"
        )
        self.email.setText(self.state.last_email)

    def _screen_changed(self, screen: Screen) -> None:
        self.password.clear()  # never keep a password around longer than the sign-in
        if screen == Screen.login:
            (self.password if self.email.text() else self.email).setFocus()

    def _busy(self, busy: bool) -> None:
        self.sign_in.setEnabled(not busy)
        self.sign_in.setText("Please wait…" if busy else "Sign in")

    def submit(self) -> None:
        self.state.login(self.email.text(), self.password.text(), self.remember.isChecked())

    def open_forgot(self) -> None:
        self.dialog = QtForgotPasswordDialog(self, AccountModel(self.state), self.email.text())
        self.dialog.open()

    def open_accept(self) -> None:
        self.dialog = QtAcceptInvitationDialog(self, self.state)
        self.dialog.open()
