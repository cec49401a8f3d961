"""Dialog building blocks: a form dialog that stays open until its action succeeds, a code hand-over dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.qt_theme import icon, label, set_kind


class QtFormDialog(QDialog):
    """Title, explanation, form rows, [Cancel] [action]. The action calls a view model with `then=self.accept`."""

    def __init__(self, parent: QWidget | None, title: str, intro: str, action: str, danger: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton(action)
        set_kind(self.ok_button, "danger" if danger else "primary")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(label(title, "Section"))
        if intro:
            layout.addWidget(label(intro, "Muted", wrap=True))
        layout.addLayout(self.form)
        layout.addLayout(buttons)

    def field(self, caption: str, placeholder: str = "", password: bool = False) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        if password:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.returnPressed.connect(self.submit)
        self.form.addRow(caption, edit)
        return edit

    def submit(self) -> None:  # overridden
        self.accept()


class QtCodeDialog(QDialog):
    """Shows a one-time code to hand over, with buttons to copy the code or a ready-made message."""

    def __init__(self, parent: QWidget | None, title: str, intro: str, code: str, message: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.code, self.message = code, message
        self.code_label = QLabel(code)
        self.code_label.setObjectName("Code")
        if len(code) > 20:
            self.code_label.setStyleSheet("font-size: 11pt; letter-spacing: 0px;")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_code = QPushButton(icon("copy"), "Copy code")
        self.copy_code.clicked.connect(lambda: self._copy(code, self.copy_code))
        self.copy_message = QPushButton(icon("copy"), "Copy message")
        self.copy_message.clicked.connect(lambda: self._copy(message, self.copy_message))
        done = QPushButton("Done")
        set_kind(done, "primary")
        done.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_code)
        buttons.addWidget(self.copy_message)
        buttons.addStretch(1)
        buttons.addWidget(done)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(label(title, "Section"))
        layout.addWidget(label(intro, "Muted", wrap=True))
        layout.addWidget(self.code_label)
        layout.addWidget(label("Or send them this message:", "Muted"))
        layout.addWidget(label(message, "Message", wrap=True))
        layout.addLayout(buttons)

    def _copy(self, text: str, button: QPushButton) -> None:
        QGuiApplication.clipboard().setText(text)
        button.setText("Copied")
