"""QtSettingsPage: your account, organisations (create, for super-admins) and the audit log (admins)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.state import roles, words
from desktop.state.account import AccountModel
from desktop.state.audit import AuditModel, action_label, detail_text
from desktop.state.session import AppState
from desktop.ui.qt_account import QtChangePasswordDialog, QtCreateOrgDialog
from desktop.ui.qt_theme import card, label, set_kind

AUDIT_COLUMNS = ["When", "Who", "Event", "Target", "Details", "From"]


class QtSettingsPage(QScrollArea):
    def __init__(self, state: AppState, account: AccountModel, audit: AuditModel) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.state, self.account, self.audit = state, account, audit
        self.dialog: QWidget | None = None
        body = QWidget()
        body.setObjectName("Page")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(32, 20, 32, 24)
        layout.setSpacing(16)
        layout.addWidget(self._account_card())
        layout.addWidget(self._orgs_card())
        layout.addWidget(self._audit_card())
        layout.addWidget(self._about_card())
        layout.addStretch(1)
        self.setWidget(body)
        state.session_changed.connect(self.refresh)
        state.org_changed.connect(lambda _m: self.refresh())
        audit.changed.connect(self._fill_audit)

    def _account_card(self) -> QWidget:
        panel, layout = card()
        layout.addWidget(label("Your account", "Section"))
        self.account_text = label("", wrap=True)
        layout.addWidget(self.account_text)
        self.change_password_button = QPushButton("Change password…")
        self.change_password_button.clicked.connect(self.open_change_password)
        layout.addWidget(self.change_password_button, 0, Qt.AlignmentFlag.AlignLeft)
        return panel

    def _orgs_card(self) -> QWidget:
        panel, layout = card()
        head = QHBoxLayout()
        head.addWidget(label("Organisations", "Section"), 1)
        self.create_org_button = QPushButton("Create organisation…")
        set_kind(self.create_org_button, "primary")
        self.create_org_button.clicked.connect(self.open_create_org)
        head.addWidget(self.create_org_button)
        layout.addLayout(head)
        self.orgs = label("", wrap=True)
        layout.addWidget(self.orgs)
        return panel

    def _audit_card(self) -> QWidget:
        self.audit_card, layout = card()
        head = QHBoxLayout()
        head.addWidget(label("Audit log", "Section"), 1)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.audit.load)
        head.addWidget(refresh)
        layout.addLayout(head)
        self.audit_note = label("", "Muted", wrap=True)
        layout.addWidget(self.audit_note)
        self.audit_table = QTableWidget(0, len(AUDIT_COLUMNS))
        self.audit_table.setHorizontalHeaderLabels(AUDIT_COLUMNS)
        self.audit_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.audit_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.audit_table.setAlternatingRowColors(True)
        self.audit_table.setShowGrid(False)
        self.audit_table.verticalHeader().hide()
        self.audit_table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.audit_table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.audit_table.setMinimumHeight(260)
        layout.addWidget(self.audit_table)
        return self.audit_card

    def _about_card(self) -> QWidget:
        panel, layout = card()
        layout.addWidget(label("About", "Section"))
        self.about = label("", "Muted", wrap=True)
        layout.addWidget(self.about)
        return panel

    def refresh(self) -> None:
        state, me = self.state, self.state.me
        if me is None:
            return
        kind = "Super-admin of this server. " if me.is_superuser else ""
        role = f"Role in {state.org.org.name}: <b>{roles.label(state.org.role)}</b>." if state.org else ""
        self.account_text.setText(f"<b>{me.email}</b><br>{kind}{role}")
        names = ", ".join(f"{m.org.name} ({roles.label(m.role).lower()})" for m in me.memberships) or "none yet"
        note = "" if state.can("orgs:create") else "<br>Only a super-admin can create organisations."
        self.orgs.setText(f"You belong to: {names}.{note}")
        self.create_org_button.setVisible(state.can("orgs:create"))
        self.audit_card.setVisible(self.audit.allowed)
        target = state.target
        server = f"{target.label}" + ("" if target is None or target.embedded else f" — {target.url}") if target else ""
        self.about.setText(f"Dalgo Desktop, server version {state.version or 'unknown'}. Connected to {server}.")
        if self.audit.allowed and self.isVisible():
            self.audit.load()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()

    def _fill_audit(self) -> None:
        events = self.audit.events
        org = self.state.org.org.name if self.state.org else ""
        self.audit_note.setText(f"Security events of {org}: the latest {len(events)} of {self.audit.total}.")
        self.audit_table.setRowCount(len(events))
        for r, event in enumerate(events):
            cells = (
                words.local_time(event.created_at),
                event.actor_email or "—",
                action_label(event.action),
                event.target or "",
                detail_text(event),
                words.address(event.ip),
            )
            for c, text in enumerate(cells):
                self.audit_table.setItem(r, c, QTableWidgetItem(text))
        self.audit_table.resizeColumnsToContents()
        self.audit_table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    def open_change_password(self) -> None:
        self.dialog = QtChangePasswordDialog(self.window(), self.account)
        self.dialog.open()

    def open_create_org(self) -> None:
        self.dialog = QtCreateOrgDialog(self.window(), self.account)
        self.dialog.open()
