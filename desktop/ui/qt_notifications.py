"""The notification centre: a bell with the unread count in the top bar, the list (mark read, open the run),
what to be told about, and a desktop pop-up through the system tray when a run fails."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.client.pipelines_models import Notification
from desktop.state.events import Event
from desktop.state.notifications import MODES, NotificationsModel, badge_text
from desktop.state.pipelines import PipelinesModel
from desktop.ui.qt_dialogs import QtDialog
from desktop.ui.qt_theme import MUTED, label, set_kind

POLL_MS = 30_000  # as Dalgo's header bell
BELL = '<path d="M6 16 V11 A6 6 0 0 1 18 11 V16 L20 18 H4 Z"/><path d="M10 21 A2 2 0 0 0 14 21"/>'
LEVEL_MARK = {"error": "●", "warning": "●", "info": "○"}
LEVEL_COLOUR = {"error": "#dc2626", "warning": "#ca8a04", "info": "#2563eb"}


def bell_icon(color: str = MUTED, size: int = 22, badge: str = "") -> QIcon:
    """The bell, with the unread count in a red dot on its corner (so the top bar never grows)."""
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="{color}" '
        f'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">{BELL}</svg>'
    )
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size * 2, size * 2))
    if badge:
        dot = QRectF(size * 2 - 30, 0, 30, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#dc2626"))
        painter.drawRoundedRect(dot, 12, 12)
        font = QFont()
        font.setPixelSize(17 if len(badge) < 3 else 12)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(dot, Qt.AlignmentFlag.AlignCenter, badge)
    painter.end()
    pixmap.setDevicePixelRatio(2)
    return QIcon(pixmap)


class QtNotificationBell(QToolButton):
    """The bell in the top bar: unread count beside it; a click opens the centre. Polls every 30 s."""

    def __init__(
        self, model: NotificationsModel, open_run: Callable[[str], None], pipelines: PipelinesModel | None = None
    ) -> None:
        super().__init__()
        self.setObjectName("Bell")
        self.model, self.open_run, self.pipelines = model, open_run, pipelines
        self.dialog: QtNotificationsDialog | None = None
        self.setIcon(bell_icon())
        self.setIconSize(QSize(22, 22))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.setAutoRaise(True)
        self.setStyleSheet("QToolButton#Bell { border: none; padding: 0px; }")
        self.setFixedSize(QSize(26, 26))
        self.badge = ""  # what the red dot says: '', '3', '99+'
        self.clicked.connect(self.open_centre)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(model.refresh)
        self.timer.start()
        model.count_changed.connect(self._count)
        self._count(model.unread)

    def _count(self, unread: int) -> None:
        self.badge = badge_text(unread)
        self.setIcon(bell_icon(badge=self.badge))
        self.setToolTip(f"Notifications: {unread} unread" if unread else "Notifications: nothing new")

    def open_centre(self) -> None:
        self.dialog = QtNotificationsDialog(self.window(), self.model, self.open_run, self.pipelines)
        self.dialog.show()
        self.model.refresh()
        if self.pipelines is not None and not self.pipelines.loaded:
            self.pipelines.load()  # the names for "only these pipelines"


class QtNotificationsDialog(QtDialog):
    """The list, newest first, unread in bold; Mark read / Open the run; and what to be told about."""

    def __init__(
        self,
        parent: QWidget | None,
        model: NotificationsModel,
        open_run: Callable[[str], None],
        pipelines: PipelinesModel | None = None,
    ) -> None:
        super().__init__(parent, "Notifications", min_width=560)
        self.model, self.open_run, self.pipelines = model, open_run, pipelines
        self.list = QListWidget()
        self.list.setMinimumHeight(180)
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(lambda _r: self._buttons())
        self.list.itemDoubleClicked.connect(lambda _i: self.open_selected())
        self.summary = label("", "Muted")
        self.read_button = QPushButton("Mark read")
        self.read_button.clicked.connect(self.mark_selected)
        self.all_button = QPushButton("Mark all as read")
        self.all_button.clicked.connect(model.mark_all_read)
        self.open_button = QPushButton("Open the run")
        self.open_button.clicked.connect(self.open_selected)
        actions = QHBoxLayout()
        actions.addWidget(self.summary, 1)
        for button in (self.read_button, self.open_button, self.all_button):
            actions.addWidget(button)
        self.body.addWidget(label("Notifications", "Section"))
        self.body.addLayout(actions)
        self.body.addWidget(self.list, 1)
        self.body.addWidget(self._settings_box())
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        self.buttons.addStretch(1)
        self.buttons.addWidget(close)
        self._listening: list[tuple[Event, Callable[..., None]]] = [
            (model.changed, self.refresh),
            (model.settings_changed, self._show_settings),
        ]
        if pipelines is not None:
            self._listening.append((pipelines.changed, self._show_settings))
        for event, callback in self._listening:
            event.connect(callback)
        self.refresh()
        model.load_settings()
        self._show_settings()

    def _settings_box(self) -> QWidget:
        box = QFrame()
        box.setObjectName("Card")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addWidget(label("What to tell me about", "Section"))
        row = QHBoxLayout()
        row.addWidget(label("Pipeline runs:"))
        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(text, key)
        row.addWidget(self.mode, 1)
        layout.addLayout(row)
        self.email = QCheckBox("Also by email (when the server can send email)")
        layout.addWidget(self.email)
        self.which = QListWidget()
        self.which.setMaximumHeight(90)
        self.only = QCheckBox("Only these pipelines:")
        self.only.toggled.connect(self.which.setEnabled)
        layout.addWidget(self.only)
        layout.addWidget(self.which)
        save = QPushButton("Save these choices")
        set_kind(save, "primary")
        save.clicked.connect(self.save_settings)
        layout.addWidget(save, 0, Qt.AlignmentFlag.AlignLeft)
        return box

    def done(self, result: int) -> None:
        """Stop listening to the models once closed (they outlive this dialog)."""
        for event, callback in self._listening:
            event.disconnect(callback)
        self._listening = []
        super().done(result)

    def _show_settings(self, *_args: object) -> None:
        settings = self.model.settings
        mode = settings.mode if settings else "failures"
        self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))
        self.email.setChecked(settings.email if settings else True)
        chosen = set(settings.pipeline_ids or []) if settings else set()
        self.only.setChecked(bool(settings and settings.pipeline_ids is not None))
        self.which.setEnabled(self.only.isChecked())
        self.which.clear()
        for pipeline in self.pipelines.pipelines if self.pipelines else []:
            item = QListWidgetItem(pipeline.name)
            item.setData(Qt.ItemDataRole.UserRole, pipeline.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if pipeline.id in chosen else Qt.CheckState.Unchecked)
            self.which.addItem(item)
        self.which.setVisible(self.which.count() > 0)
        self.only.setVisible(self.which.count() > 0)

    def save_settings(self) -> None:
        ids = None
        if self.only.isChecked():
            ids = [self.which.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.which.count())
                   if self.which.item(i).checkState() == Qt.CheckState.Checked]  # fmt: skip
        self.model.save_settings(str(self.mode.currentData()), ids, self.email.isChecked())

    def refresh(self) -> None:
        items = self.model.items
        self.list.clear()
        for notification in items:
            item = QListWidgetItem(self._text(notification))
            item.setData(Qt.ItemDataRole.UserRole, notification.id)
            font = item.font()
            font.setBold(notification.read_at is None)
            item.setFont(font)
            item.setToolTip(notification.body)
            self.list.addItem(item)
        unread = self.model.unread
        self.summary.setText(f"{unread} unread of {self.model.total}" if items else "Nothing here yet.")
        self.all_button.setEnabled(unread > 0)
        self._buttons()

    def _text(self, notification: Notification) -> str:
        mark = LEVEL_MARK.get(notification.level, "○")
        body = f"\n{notification.body}" if notification.body else ""
        return f"{mark} {notification.title} — {self.model.when(notification)}{body}"

    def selected(self) -> Notification | None:
        row = self.list.currentRow()
        return self.model.items[row] if 0 <= row < len(self.model.items) else None

    def _buttons(self) -> None:
        chosen = self.selected()
        self.read_button.setEnabled(chosen is not None and chosen.read_at is None)
        self.open_button.setEnabled(chosen is not None and chosen.run_id is not None)

    def mark_selected(self) -> None:
        if chosen := self.selected():
            self.model.mark_read(chosen)

    def open_selected(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen.run_id:
            self.model.mark_read(chosen)
            self.open_run(chosen.run_id)
            self.accept()


class QtTray:
    """A desktop pop-up for a failed run, through the system tray when this desktop has one."""

    def __init__(self, model: NotificationsModel, icon: QIcon, parent: QWidget) -> None:
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(icon, parent)
            self.icon.setToolTip("Dalgo")
            self.icon.show()
        model.tray.connect(self.show_message)

    def show_message(self, title: str, body: str, _notification: Notification) -> None:
        if self.icon is not None:
            self.icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Warning, 10_000)
