"""QtServerSwitch: shows which server the screen talks to and lets the user pick a hosted one or go local."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.state.server import ServerTarget
from desktop.state.session import AppState
from desktop.ui.qt_theme import label, set_kind


class QtServerSwitch(QWidget):
    """'Server: Local · Connect to a hosted server…' with an address field that opens on demand."""

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.where = label("", "Muted", wrap=True)
        self.toggle = QPushButton("Connect to a hosted server…")
        set_kind(self.toggle, "link")
        self.toggle.clicked.connect(self._toggle)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://dalgo.example.org")
        self.url.returnPressed.connect(self.connect_hosted)
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(self.connect_hosted)
        self.url_row = QWidget()
        row = QHBoxLayout(self.url_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.url, 1)
        row.addWidget(self.connect_button)
        self.url_row.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.where)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.url_row)
        state.target_changed.connect(self._target_changed)
        state.busy_changed.connect(self._busy)
        if state.prefs.hosted_urls:
            self.url.setText(state.prefs.hosted_urls[0])

    def _target_changed(self, target: ServerTarget) -> None:
        self.where.setText(f"Server: {target.label}")
        self.url_row.hide()
        self.toggle.setText("Connect to a hosted server…" if target.embedded else "Use this computer's server instead")

    def _busy(self, busy: bool) -> None:
        self.connect_button.setEnabled(not busy)
        self.connect_button.setText("Connecting…" if busy else "Connect")

    def _toggle(self) -> None:
        target = self.state.target
        if target is not None and not target.embedded:
            self.state.connect_local()
            return
        self.url_row.setVisible(not self.url_row.isVisible())
        if self.url_row.isVisible():
            self.url.setFocus()

    def connect_hosted(self) -> None:
        """Try the typed address; if it cannot be reached, this screen stays on the current server."""
        self.state.connect_hosted(self.url.text())
