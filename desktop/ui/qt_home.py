"""QtHomePage: who and where you are, and the next steps that work in this version."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desktop.state import roles
from desktop.state.sections import SECTIONS
from desktop.state.session import AppState
from desktop.ui.qt_theme import card, label, set_kind


class QtHomePage(QWidget):
    def __init__(self, state: AppState, go: Callable[[str], None]) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.state = state
        self.greeting = label("", "Title")
        self.where = label("", "Muted", wrap=True)
        self.role_help = label("", wrap=True)
        org_card, org_layout = card()
        org_layout.addWidget(label("Active organisation", "Section"))
        self.org_name = label("", "PageTitle")
        org_layout.addWidget(self.org_name)
        org_layout.addWidget(self.role_help)
        org_layout.addStretch(1)
        next_card, next_layout = card()
        next_layout.addWidget(label("Next steps", "Section"))
        self.users_button = QPushButton("Invite your team")
        set_kind(self.users_button, "primary")
        self.users_button.clicked.connect(lambda: go("users"))
        self.settings_button = QPushButton("Account and organisations")
        self.settings_button.clicked.connect(lambda: go("settings"))
        next_layout.addWidget(
            label("Add colleagues with a role each; they join with a one-time code.", "Muted", wrap=True)
        )
        row = QHBoxLayout()
        row.addWidget(self.users_button)
        row.addWidget(self.settings_button)
        row.addStretch(1)
        next_layout.addLayout(row)
        next_layout.addStretch(1)
        later_card, later_layout = card()
        later_layout.addWidget(label("On the way in later versions", "Section"))
        for section in SECTIONS:
            if not section.built:
                later_layout.addWidget(label(f"<b>{section.title}</b> — {section.summary}", wrap=True))
        grid = QGridLayout()
        grid.setSpacing(16)
        grid.addWidget(org_card, 0, 0)
        grid.addWidget(next_card, 0, 1)
        grid.addWidget(later_card, 1, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(8)
        layout.addWidget(self.greeting)
        layout.addWidget(self.where)
        layout.addSpacing(8)
        layout.addLayout(grid)
        layout.addStretch(1)
        state.org_changed.connect(lambda _m: self.refresh())
        state.session_changed.connect(self.refresh)

    def refresh(self) -> None:
        state, me, org = self.state, self.state.me, self.state.org
        self.greeting.setText(f"Welcome, {me.email.split('@')[0]}" if me else "Welcome")
        server = state.target.label if state.target else ""
        self.where.setText(f"Signed in as {me.email} on {server}." if me else "")
        if org is None:
            self.org_name.setText("None yet")
            self.role_help.setText("You are not a member of any organisation. Ask an admin for an invitation code.")
        else:
            self.org_name.setText(org.org.name)
            self.role_help.setText(f"Your role: <b>{roles.label(org.role)}</b>. {roles.DESCRIPTIONS.get(org.role, '')}")
        self.users_button.setVisible(state.can("users:manage"))
