"""QtTopBar: page title, server, active organisation (switch in one click) and the user menu."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from desktop.client.models import Membership
from desktop.state import roles
from desktop.state.account import AccountModel
from desktop.state.server import ServerTarget
from desktop.state.session import AppState
from desktop.ui.qt_account import QtAcceptInvitationDialog, QtChangePasswordDialog
from desktop.ui.qt_theme import MUTED, icon, label

USER_TEXT_WIDTH = 200  # px of the email on the user menu; a longer address is shortened, whole in the tooltip


class QtTopBar(QWidget):
    def __init__(self, state: AppState, account: AccountModel) -> None:
        super().__init__()
        self.setObjectName("TopBar")
        self.account = account
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.state = state
        self.dialog: QtChangePasswordDialog | QtAcceptInvitationDialog | None = None
        self.title = label("", "PageTitle")
        self.server = QLabel()
        self.server.setObjectName("Muted")
        self.server_icon = QLabel()
        self.server_icon.setPixmap(icon("server", MUTED, 16).pixmap(QSize(16, 16)))
        self.title.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)  # never cut
        self.orgs = QComboBox()
        self.orgs.setObjectName("OrgSwitcher")
        # a long organisation name shortens inside the switcher instead of pushing the role badge over it
        self.orgs.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.orgs.setMinimumContentsLength(10)
        self.orgs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.orgs.activated.connect(self._picked)
        self.role = label("", "Chip")
        self.role.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.user = QToolButton()
        self.user.setObjectName("UserMenu")
        self.user.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.user.setIcon(icon("user"))
        self.user.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.user.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self)
        self.who = QAction("", self)
        self.who.setEnabled(False)
        self.change_password = QAction("Change password…", self)
        self.change_password.triggered.connect(self.open_change_password)
        self.join = QAction("Join an organisation with a code…", self)
        self.join.triggered.connect(self.open_join)
        self.log_out = QAction("Log out", self)
        self.log_out.triggered.connect(state.logout)
        self.menu.addAction(self.who)
        self.menu.addSeparator()
        self.menu.addAction(self.change_password)
        self.menu.addAction(self.join)
        self.menu.addAction(self.log_out)
        self.user.setMenu(self.menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 12, 16, 12)
        layout.setSpacing(7)  # room for the notification bell at 1024 px
        layout.addWidget(self.title)
        layout.addStretch(1)
        layout.addWidget(self.server_icon)
        layout.addWidget(self.server)
        layout.addSpacing(2)
        layout.addWidget(self.orgs)
        layout.addWidget(self.role)
        layout.addWidget(self.user)
        state.session_changed.connect(self._session_changed)
        state.org_changed.connect(self._org_changed)
        state.target_changed.connect(self._target_changed)

    def add_notifications(self, bell: QWidget) -> None:
        """The notification bell, just before the user menu."""
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.insertWidget(layout.indexOf(self.user), bell)

    def _target_changed(self, target: ServerTarget) -> None:
        self.server.setText(target.short_label)
        self.server.setToolTip(f"Server: {target.label}" + ("" if target.embedded else f" ({target.url})"))

    def _session_changed(self) -> None:
        me = self.state.me
        email = me.email if me else ""
        self.user.setText(self.user.fontMetrics().elidedText(email, Qt.TextElideMode.ElideMiddle, USER_TEXT_WIDTH))
        self.user.setToolTip(email)
        self.orgs.blockSignals(True)
        self.orgs.clear()
        for membership in me.memberships if me else []:
            self.orgs.addItem(membership.org.name, membership.org.slug)
        self.orgs.blockSignals(False)
        self._org_changed(self.state.org)

    def _org_changed(self, membership: Membership | None) -> None:
        name = membership.org.name if membership else ""
        self.orgs.setToolTip(f"Active organisation: {name}. Everything you see and do applies to it." if name else "")
        index = self.orgs.findData(membership.org.slug) if membership else -1
        self.orgs.blockSignals(True)
        self.orgs.setCurrentIndex(index)
        self.orgs.blockSignals(False)
        self.role.setText(roles.label(membership.role) if membership else "no organisation")
        me = self.state.me
        self.who.setText(f"Signed in as {me.email}" if me else "")

    def _picked(self, index: int) -> None:
        self.state.switch_org(self.orgs.itemData(index))

    def open_join(self) -> None:
        self.dialog = QtAcceptInvitationDialog(self.window(), self.state)
        self.dialog.open()

    def open_change_password(self) -> None:
        self.dialog = QtChangePasswordDialog(self.window(), self.account)
        self.dialog.open()
