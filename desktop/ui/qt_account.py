"""Account dialogs: forgot/reset password, accept an invitation, change password, create an organisation."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QPushButton, QWidget

from desktop.state import words
from desktop.state.account import AccountModel
from desktop.state.session import AppState, normalise_code
from desktop.ui.qt_dialogs import QtFormDialog
from desktop.ui.qt_theme import label, set_kind


def forgot_intro(app: AppState) -> str:
    """Where a reset code comes from, and what to do when the person who forgot is the only admin."""
    target = app.target
    local = target is None or target.embedded
    only_admin = (
        "If you are the only admin, set a new password on this computer instead: open a terminal "
        "(Command Prompt on Windows) and run <code>dalgo admin reset-password --email you@example.org</code>."
        if local
        else "If you are the only admin, ask whoever runs this server to run "
        "<code>dalgo admin reset-password --email you@example.org</code> there."
    )
    return (
        "Ask an admin of your organisation for a reset code: on the Users page they select you and press "
        "<b>Issue reset code…</b>. If this server can send mail, you can also ask for a code by email below. "
        f"Then enter the code and choose a new password.<br><br>{only_admin}"
    )


class QtForgotPasswordDialog(QtFormDialog):
    """Explains where reset codes come from, asks for one by mail, and takes a code plus a new password."""

    def __init__(self, parent: QWidget | None, account: AccountModel, email: str = "") -> None:
        super().__init__(parent, "Reset your password", forgot_intro(account.app), "Set new password")
        self.account = account
        self.email = self.field("Email", "you@example.org")
        self.email.setText(email)
        self.email.returnPressed.disconnect()
        self.email.returnPressed.connect(self.request_code)
        self.request_button = QPushButton("Email me a code")
        set_kind(self.request_button, "link")
        self.request_button.clicked.connect(self.request_code)
        self.form.addRow("", self.request_button)
        self.code = self.field("Reset code", "the code from your admin or email")
        self.password = self.field("New password", "at least 10 characters", password=True)
        self.confirm = self.field("Repeat password", "", password=True)

    def request_code(self) -> None:
        self.account.request_reset(self.email.text())

    def submit(self) -> None:
        self.account.reset_password(self.code.text(), self.password.text(), self.confirm.text(), then=self.accept)


class QtAcceptInvitationDialog(QtFormDialog):
    """Join an organisation with the code an admin handed over."""

    def __init__(self, parent: QWidget | None, state: AppState) -> None:
        intro = (
            "Enter the invitation code your admin gave you. New to this server? Choose a password for your "
            "account. Already have an account here? Enter its current password."
        )
        super().__init__(parent, "Join with an invitation code", intro, "Join")
        self.state = state
        self.code = self.field("Invitation code", "e.g. ABCD-EFGH-JKLM (spaces or dashes are fine)")
        self.code.editingFinished.connect(lambda: self.code.setText(normalise_code(self.code.text())))
        self.password = self.field("Password", "at least 10 characters", password=True)
        self.confirm = self.field("Repeat password", "", password=True)
        self.remember = QCheckBox("Keep me signed in on this computer")
        self.form.addRow("", self.remember)

    def submit(self) -> None:
        self.state.accept_invitation(
            self.code.text(), self.password.text(), self.confirm.text(), self.remember.isChecked(), then=self.accept
        )


class QtChangePasswordDialog(QtFormDialog):
    def __init__(self, parent: QWidget | None, account: AccountModel) -> None:
        intro = "Your other sign-ins (other computers) will be ended; this one stays signed in."
        super().__init__(parent, "Change your password", intro, "Change password")
        self.account = account
        self.current = self.field("Current password", "", password=True)
        self.new = self.field("New password", "at least 10 characters, hard to guess", password=True)
        self.confirm = self.field("Repeat new password", "", password=True)

    def submit(self) -> None:
        self.account.change_password(self.current.text(), self.new.text(), self.confirm.text(), then=self.accept)


class QtCreateOrgDialog(QtFormDialog):
    def __init__(self, parent: QWidget | None, account: AccountModel) -> None:
        intro = (
            "A separate workspace with its own members and data. You become its admin and can "
            "invite people from the Users page."
        )
        super().__init__(parent, "Create an organisation", intro, "Create")
        self.account = account
        self.name = self.field("Name", "e.g. Nairobi Field Office")
        self.form.addRow("", label(f"A {words.SHORT_NAME} is made from the name.", "Muted"))

    def submit(self) -> None:
        self.account.create_org(self.name.text(), then=self.accept)
