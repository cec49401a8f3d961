"""QtUsersPage: members of the active org (sortable), invitations, roles, removal and reset codes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.client.models import Invitation, Member, ResetCode
from desktop.state import roles, words
from desktop.state.users import UsersModel
from desktop.ui.qt_dialogs import QtCodeDialog, QtFormDialog
from desktop.ui.qt_theme import label, set_kind

MEMBER_COLUMNS = (("email", "Email"), ("role", "Role"), ("joined", "Joined"))


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setHighlightSections(False)
    header.setMinimumSectionSize(110)
    return table


def _role_box(allowed: list[str], current: str | None = None) -> QComboBox:
    box = QComboBox()
    for role in allowed:
        box.addItem(roles.label(role), role)
        box.setItemData(box.count() - 1, roles.DESCRIPTIONS[role], Qt.ItemDataRole.ToolTipRole)
    if current in allowed:
        box.setCurrentIndex(allowed.index(current))
    return box


class QtInviteDialog(QtFormDialog):
    def __init__(self, parent: QWidget, model: UsersModel) -> None:
        org = model.app.org.org.name if model.app.org else ""
        intro = f"Dalgo makes a one-time code for them to join {org}; you hand it over (chat, phone, paper)."
        super().__init__(parent, "Invite a user", intro, "Create invitation")
        self.model = model
        self.email = self.field("Email", "colleague@example.org")
        self.role = _role_box(model.assignable_roles, "member")
        self.form.addRow("Role", self.role)
        self.help = label("", "Muted", wrap=True)
        self.form.addRow("", self.help)
        self.role.currentIndexChanged.connect(self._explain)
        self._explain()

    def _explain(self) -> None:
        self.help.setText(roles.DESCRIPTIONS.get(self.role.currentData(), ""))

    def submit(self) -> None:
        self.model.invite(self.email.text(), self.role.currentData(), then=self.accept)


class QtChangeRoleDialog(QtFormDialog):
    def __init__(self, parent: QWidget, model: UsersModel, member: Member) -> None:
        super().__init__(parent, "Change role", f"What may {member.email} do in this organisation?", "Change role")
        self.model, self.member = model, member
        self.role = _role_box(model.assignable_roles, member.role)
        self.form.addRow("Role", self.role)
        self.help = label("", "Muted", wrap=True)
        self.form.addRow("", self.help)
        self.role.currentIndexChanged.connect(lambda _i: self.help.setText(roles.DESCRIPTIONS[self.role.currentData()]))
        self.help.setText(roles.DESCRIPTIONS[self.role.currentData()])

    def submit(self) -> None:
        self.model.change_role(self.member, self.role.currentData(), then=self.accept)


class QtRemoveMemberDialog(QtFormDialog):
    def __init__(self, parent: QWidget, model: UsersModel, member: Member) -> None:
        org = model.app.org.org.name if model.app.org else "the organisation"
        intro = f"{member.email} will lose access to {org}. Their account stays, and they can be invited again."
        super().__init__(parent, f"Remove {member.email}?", intro, "Remove", danger=True)
        self.model, self.member = model, member

    def submit(self) -> None:
        self.model.remove(self.member, then=self.accept)


class QtUsersPage(QWidget):
    def __init__(self, model: UsersModel) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.model = model
        self.dialog: QWidget | None = None
        self.intro = label("", "Muted", wrap=True)
        self.invite_button = QPushButton("Invite user")
        set_kind(self.invite_button, "primary")
        self.invite_button.clicked.connect(self.open_invite)
        head = QHBoxLayout()
        head.addWidget(self.intro, 1)
        head.addWidget(self.invite_button)
        self.members = _table([title for _key, title in MEMBER_COLUMNS])
        self.members.horizontalHeader().sectionClicked.connect(lambda i: model.sort(MEMBER_COLUMNS[i][0]))
        self.members.horizontalHeader().setSortIndicatorShown(True)
        self.members.itemSelectionChanged.connect(self._selection_changed)
        self.change_role_button = QPushButton("Change role…")
        self.reset_button = QPushButton("Issue reset code…")
        self.remove_button = QPushButton("Remove…")
        set_kind(self.remove_button, "danger")
        self.change_role_button.clicked.connect(self.open_change_role)
        self.reset_button.clicked.connect(self.issue_reset)
        self.remove_button.clicked.connect(self.open_remove)
        member_actions = QHBoxLayout()
        for button in (self.change_role_button, self.reset_button, self.remove_button):
            member_actions.addWidget(button)
        member_actions.addStretch(1)
        self.pending_title = label("Pending invitations", "Section")
        self.invitations = _table(["Email", "Role", "Code", "Expires"])
        self.invitations.setMaximumHeight(180)
        self.invitations.itemSelectionChanged.connect(self._selection_changed)
        self.copy_code_button = QPushButton("Copy code")
        self.cancel_button = QPushButton("Cancel invitation")
        set_kind(self.cancel_button, "danger")
        self.copy_code_button.clicked.connect(self.copy_code)
        self.cancel_button.clicked.connect(self.cancel_invitation)
        invite_actions = QHBoxLayout()
        invite_actions.addWidget(self.copy_code_button)
        invite_actions.addWidget(self.cancel_button)
        invite_actions.addStretch(1)
        self.pending_box = QWidget()
        pending = QVBoxLayout(self.pending_box)
        pending.setContentsMargins(0, 8, 0, 0)
        pending.setSpacing(8)
        pending.addWidget(self.pending_title)
        self.no_invitations = label("No pending invitations. Invited people appear here until they join.", "Muted")
        pending.addWidget(self.no_invitations)
        pending.addWidget(self.invitations)
        pending.addLayout(invite_actions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 20, 32, 24)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.members, 1)
        layout.addLayout(member_actions)
        layout.addWidget(self.pending_box)
        model.changed.connect(self.refresh)
        model.invitation_created.connect(self.show_invitation)
        model.reset_issued.connect(self.show_reset)
        self.refresh()

    # --- rendering --------------------------------------------------------------------------------
    def refresh(self) -> None:
        model = self.model
        org = model.app.org
        if org is None:
            self.intro.setText("You are not in any organisation yet.")
        elif not model.can_read:
            self.intro.setText(
                f"Your role ({roles.label(org.role).lower()}) in {org.org.name} cannot see the member list."
            )
        else:
            count = model.summary()
            note = "" if model.can_manage else " Only admins can invite people or change roles."
            self.intro.setText(f"{count} of <b>{org.org.name}</b>." + (" Loading…" if model.loading else "") + note)
        self.invite_button.setVisible(model.can_manage)
        self.pending_box.setVisible(model.can_manage)
        self._fill_members()
        self._fill_invitations()
        self._selection_changed()

    def _fill_members(self) -> None:
        keep = self.selected_member()
        rows = self.model.rows()
        self.members.clearSelection()
        self.members.setRowCount(len(rows))
        for r, member in enumerate(rows):
            email = member.email + ("  (you)" if self.model.is_me(member) else "")
            for c, text in enumerate(
                (email, self.model.role_name(member), f"{member.joined_at.astimezone():%d %b %Y}")
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, member.id)
                self.members.setItem(r, c, item)
        column = [key for key, _t in MEMBER_COLUMNS].index(self.model.sort_key)
        order = Qt.SortOrder.DescendingOrder if self.model.sort_desc else Qt.SortOrder.AscendingOrder
        self.members.horizontalHeader().setSortIndicator(column, order)
        if keep is not None:  # the same person stays selected after a sort or reload, never the same row index
            ids = [m.id for m in rows]
            if keep.id in ids:
                self.members.selectRow(ids.index(keep.id))

    def _fill_invitations(self) -> None:
        items = self.model.invitations
        self.invitations.setRowCount(len(items))
        for r, inv in enumerate(items):
            for c, text in enumerate((inv.email, roles.label(inv.role), inv.code, words.local_time(inv.expires_at))):
                self.invitations.setItem(r, c, QTableWidgetItem(text))
        self.pending_title.setText(f"Pending invitations ({len(items)})")
        self.invitations.setVisible(bool(items))
        self.no_invitations.setVisible(not items)

    def selected_member(self) -> Member | None:
        selected = self.members.selectedItems()
        member_id = selected[0].data(Qt.ItemDataRole.UserRole) if selected else None
        return next((m for m in self.model.members if m.id == member_id), None)

    def selected_invitation(self) -> Invitation | None:
        row = self.invitations.currentRow()
        items = self.model.invitations
        return items[row] if 0 <= row < len(items) and self.invitations.selectionModel().hasSelection() else None

    def _selection_changed(self) -> None:
        member = self.selected_member()
        allowed = member is not None and self.model.can_act_on(member)
        for button in (self.change_role_button, self.reset_button, self.remove_button):
            button.setVisible(self.model.can_manage)
            button.setEnabled(allowed)
        has_invitation = self.selected_invitation() is not None
        self.copy_code_button.setEnabled(has_invitation)
        self.cancel_button.setEnabled(has_invitation)

    # --- actions ----------------------------------------------------------------------------------
    def _open(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.open()  # type: ignore[attr-defined]

    def open_invite(self) -> None:
        self._open(QtInviteDialog(self.window(), self.model))

    def open_change_role(self) -> None:
        if member := self.selected_member():
            self._open(QtChangeRoleDialog(self.window(), self.model, member))

    def open_remove(self) -> None:
        if member := self.selected_member():
            self._open(QtRemoveMemberDialog(self.window(), self.model, member))

    def issue_reset(self) -> None:
        if member := self.selected_member():
            self.model.issue_reset(member)

    def copy_code(self) -> None:
        if invitation := self.selected_invitation():
            QGuiApplication.clipboard().setText(invitation.code)
            self.model.app.banner.show(f"Copied the invitation code for {invitation.email}.")

    def cancel_invitation(self) -> None:
        if invitation := self.selected_invitation():
            self.model.cancel_invitation(invitation)

    def show_invitation(self, invitation: Invitation) -> None:
        intro = (
            f"Give this code to {invitation.email}. They choose “I have an invitation code” when signing in. "
            + self.model.handover_note()
        )
        self._open(
            QtCodeDialog(
                self.window(), "Invitation created", intro, invitation.code, self.model.handover_text(invitation)
            )
        )

    def show_reset(self, reset: ResetCode) -> None:
        intro = f"Give this one-time code to {reset.email} so they can set a new password."
        self._open(QtCodeDialog(self.window(), "Password reset code", intro, reset.token, self.model.reset_text(reset)))
