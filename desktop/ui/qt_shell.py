"""QtShell: the signed-in window body — sidebar of sections, top bar, and the section pages."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from desktop.state.account import AccountModel
from desktop.state.audit import AuditModel
from desktop.state.data import DataModel
from desktop.state.notifications import NotificationsModel
from desktop.state.pipelines import PipelinesModel
from desktop.state.sections import SECTION_BY_KEY, SECTIONS
from desktop.state.session import AppState
from desktop.state.sources import SourcesModel
from desktop.state.users import UsersModel
from desktop.ui.qt_data import QtDataPage
from desktop.ui.qt_home import QtHomePage
from desktop.ui.qt_later import QtComingLaterPage
from desktop.ui.qt_notifications import QtNotificationBell, QtTray, bell_icon
from desktop.ui.qt_pipelines import QtPipelinesPage
from desktop.ui.qt_settings import QtSettingsPage
from desktop.ui.qt_sources import QtSourcesPage
from desktop.ui.qt_theme import SIDEBAR_TEXT, icon, label
from desktop.ui.qt_topbar import QtTopBar
from desktop.ui.qt_transform import QtTransformPage
from desktop.ui.qt_users import QtUsersPage


class QtShell(QWidget):
    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.users = UsersModel(state)
        self.audit = AuditModel(state)
        self.account = AccountModel(state)
        self.sources = SourcesModel(state)
        self.data = DataModel(state)
        self.topbar = QtTopBar(state, self.account)
        self.pages = QStackedWidget()
        self.page: dict[str, QWidget] = {}
        self.home_page = QtHomePage(state, self.go)
        self.users_page = QtUsersPage(self.users)
        self.settings_page = QtSettingsPage(state, self.account, self.audit)
        self.transform_page = QtTransformPage(state)
        self.sources_page = QtSourcesPage(self.sources)
        self.data_page = QtDataPage(self.data, self.go)
        self._pipelines()
        built = {"home": self.home_page, "users": self.users_page, "settings": self.settings_page}
        built["transform"] = self.transform_page
        built |= {"sources": self.sources_page, "data": self.data_page, "pipelines": self.pipelines_page}
        for section in SECTIONS:
            page = built.get(section.key) or QtComingLaterPage(section)
            self.page[section.key] = page
            self.pages.addWidget(page)
        body = QVBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.topbar)
        body.addWidget(self.pages, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._sidebar())
        layout.addLayout(body, 1)
        self.current = ""
        self.sources.unsaved_changed.connect(lambda on: self.mark_unsaved("sources", on))
        self.transform_page.sql_editor.unsaved_changed.connect(lambda on: self.mark_unsaved("transform", on))
        self.pipelines.unsaved_changed.connect(lambda on: self.mark_unsaved("pipelines", on))
        self.go("home")

    def _pipelines(self) -> None:
        """The Pipelines page, and the notification centre (bell in the top bar, tray pop-up on a failed run)."""
        self.pipelines = PipelinesModel(self.state)
        self.pipelines_page = QtPipelinesPage(self.pipelines)
        self.notifications = NotificationsModel(self.state, QSystemTrayIcon.isSystemTrayAvailable)
        self.bell = QtNotificationBell(self.notifications, self.open_run, self.pipelines)
        self.topbar.add_notifications(self.bell)
        self.tray = QtTray(self.notifications, bell_icon(), self)
        self.pipelines.run_view.ended.connect(lambda _run: self.notifications.refresh())
        self.state.org_changed.connect(lambda m: self.notifications.refresh() if m else None)

    def open_run(self, run_id: str) -> None:
        """A notification's run, on the Pipelines page."""
        self.go("pipelines")
        self.pipelines.open_run(run_id)

    def mark_unsaved(self, key: str, unsaved: bool) -> None:
        """A dot on the section's nav entry while its page holds unsaved changes."""
        self.nav[key].setText("  " + SECTION_BY_KEY[key].title + ("  ●" if unsaved else ""))
        self.nav[key].setToolTip("Unsaved changes on this page" if unsaved else "")

    def _sidebar(self) -> QWidget:
        sidebar = QWidget()
        sidebar.setObjectName("Sidebar")
        sidebar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        sidebar.setFixedWidth(210)
        layout = QVBoxLayout(sidebar)
        layout.setContentsMargins(12, 18, 12, 14)
        layout.setSpacing(2)
        brand = label("Dalgo", "Brand")
        brand.setContentsMargins(10, 0, 0, 14)
        layout.addWidget(brand)
        self.nav: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for section in SECTIONS:
            if section.key == "users":
                layout.addSpacing(14)  # people and settings apart from the data sections
            button = QPushButton(icon(section.key, SIDEBAR_TEXT, 18), "  " + section.title)
            button.setObjectName("NavButton")
            button.setIconSize(QSize(18, 18))
            button.setCheckable(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _c=False, key=section.key: self.go(key))
            if not section.built:
                button.setToolTip(f"{section.title}: coming in a later version")
            group.addButton(button)
            layout.addWidget(button)
            self.nav[section.key] = button
        layout.addStretch(1)
        layout.addWidget(label("Offline-first data platform\nfor NGOs", "SidebarFoot"))
        return sidebar

    def go(self, key: str) -> None:
        """Show a section's page (asking first when leaving unsaved changes); pages fetch their lists when shown."""
        if self.current == "transform" and key != "transform" and self.transform_page.unsaved:
            self.nav[self.current].setChecked(True)  # stay put until the user answered
            self.transform_page.ask_save_first("leave", lambda: self.go(key))
            return
        if self.current == "sources" and key != "sources" and self.sources.unsaved:
            self.nav[self.current].setChecked(True)  # stay put until the user answered
            self.sources_page.ask_save_first(
                "leave", lambda: self.sources_page.save_streams_then(lambda: self.go(key)), lambda: self._leave(key)
            )
            return
        section = SECTION_BY_KEY[key]
        self.current = key
        self.nav[key].setChecked(True)
        self.pages.setCurrentWidget(self.page[key])
        self.topbar.title.setText(section.title)
        if key == "users":
            self.users.load()
        elif key == "sources":
            self.sources.load()
        elif key == "data":
            self.data.load()
        elif key == "transform":
            self.transform_page.activate()
        elif key == "pipelines":
            self.pipelines.load()
        elif key == "settings":
            self.audit.load()

    def _leave(self, key: str) -> None:
        self.sources_page.discard_stream_changes()
        self.go(key)
