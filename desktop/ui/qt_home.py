"""QtHomePage: who and where you are, what works today, and the next steps your role can take."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.state import home, roles
from desktop.state.session import AppState
from desktop.ui.qt_fit import scroll_body
from desktop.ui.qt_theme import card, label, set_kind


class QtHomePage(QWidget):
    def __init__(self, state: AppState, go: Callable[[str], None]) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.state = state
        self.go = go
        self.greeting = label("", "Title")
        self.where = label("", "Muted", wrap=True)
        self.role_help = label("", wrap=True)
        org_card, org_layout = card()
        org_layout.addWidget(label("Active organisation", "Section"))
        self.org_name = label("", "PageTitle", wrap=True)
        org_layout.addWidget(self.org_name)
        org_layout.addWidget(self.role_help)
        org_layout.addStretch(1)
        next_card, next_layout = card()
        next_layout.addWidget(label("Next steps", "Section"))
        self.next_layout = QVBoxLayout()
        self.next_layout.setSpacing(6)
        next_layout.addLayout(self.next_layout)
        next_layout.addStretch(1)
        self.step_widgets: list[QWidget] = []
        self.step_buttons: list[QPushButton] = []
        now_card, now_layout = card()
        now_layout.addWidget(label("Ready to use", "Section"))
        self.now_text = label("", wrap=True)
        now_layout.addWidget(self.now_text)
        now_layout.addStretch(1)
        later_card, later_layout = card()
        later_layout.addWidget(label("Coming in later versions", "Section"))
        for section in home.later():
            later_layout.addWidget(label(f"<b>{section.title}</b>: {section.summary}", "Muted", wrap=True))
        grid = QGridLayout()
        grid.setSpacing(16)
        grid.addWidget(org_card, 0, 0)
        grid.addWidget(next_card, 0, 1)
        grid.addWidget(now_card, 1, 0)
        grid.addWidget(later_card, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        body = QWidget()  # scrolls on a short screen instead of squeezing the cards over each other
        body.setObjectName("Page")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll_body(body))
        layout = QVBoxLayout(body)
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
        ready = home.available(state)
        self.now_text.setText(
            "<br>".join(f"<b>{s.title}</b>: {s.summary}" for s in ready)
            or "Nothing for your role yet: charts and dashboards to view will come in a later version."
        )
        self._fill_steps(home.next_steps(state))

    def _fill_steps(self, steps: list[home.Step]) -> None:
        for widget in self.step_widgets:  # hidden at once: deleteLater alone leaves them drawn until the loop runs
            self.next_layout.removeWidget(widget)
            widget.hide()
            widget.deleteLater()
        self.step_widgets, self.step_buttons = [], []
        for n, step in enumerate(steps):
            button = QPushButton(step.title)
            if n == 0:
                set_kind(button, "primary")
            button.clicked.connect(lambda _c=False, key=step.section: self.go(key))
            text: QLabel = label(step.text, "Muted", wrap=True)
            self.next_layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            self.next_layout.addWidget(text)
            self.step_widgets += [button, text]
            self.step_buttons.append(button)
