"""Dialog building blocks: the base every dialog uses (a scrolling body above buttons that stay on screen),
a form dialog that stays open until its action succeeds, a code hand-over dialog, a one-value dialog."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.qt_theme import icon, label, set_kind

SCREEN_MARGIN = QSize(40, 60)  # room for the window frame and the taskbar's edge


def screen_area(widget: QWidget) -> QRect:
    """The free area (taskbar excluded) of the screen `widget` is on: every window and dialog fits inside it."""
    return (widget.screen() or QGuiApplication.primaryScreen()).availableGeometry()


def fit_to_screen(dialog: QWidget, wanted: QSize | None = None) -> None:
    """Resize a dialog to what it wants (its size hint by default), never larger than the screen's free area."""
    free = screen_area(dialog).size() - SCREEN_MARGIN
    want = (wanted or dialog.sizeHint()).expandedTo(dialog.minimumSizeHint())
    dialog.resize(want.boundedTo(free))


class QtBodyScroll(QScrollArea):
    """A frameless scroll area that asks for its whole content's size, so a dialog is as tall as it needs."""

    def sizeHint(self) -> QSize:
        inner = body.sizeHint() if (body := self.widget()) is not None else QSize(0, 0)
        return inner + QSize(self.verticalScrollBar().sizeHint().width(), 2)

    def minimumSizeHint(self) -> QSize:
        inner = body.minimumSizeHint() if (body := self.widget()) is not None else QSize(0, 0)
        return QSize(inner.width() + self.verticalScrollBar().sizeHint().width(), min(inner.height(), 120))


class QtDialog(QDialog):
    """Every dialog's base: `body` scrolls when the screen is short; `buttons` stay visible below it."""

    def __init__(self, parent: QWidget | None, title: str, min_width: int = 440) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(min(min_width, _free_width(self)))
        self.body_widget = QWidget()
        self.body_widget.setObjectName("DialogBody")
        self.body_widget.setStyleSheet("#DialogBody { background: transparent; }")
        self.body = QVBoxLayout(self.body_widget)
        self.body.setContentsMargins(24, 20, 24, 8)
        self.body.setSpacing(12)
        self.body_scroll = QtBodyScroll()
        self.body_scroll.setWidgetResizable(True)
        self.body_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body_scroll.viewport().setAutoFillBackground(False)
        self.body_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body_scroll.setWidget(self.body_widget)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(24, 8, 24, 18)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.body_scroll, 1)
        layout.addLayout(self.buttons)
        self._fitted = False

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:  # once: after that the size is the user's
            self._fitted = True
            fit_to_screen(self)
        super().showEvent(event)


def _free_width(widget: QWidget) -> int:
    return screen_area(widget).width() - SCREEN_MARGIN.width()


class QtFormDialog(QtDialog):
    """Title, explanation, form rows, [Cancel] [action]. The action calls a view model with `then=self.accept`."""

    def __init__(self, parent: QWidget | None, title: str, intro: str, action: str, danger: bool = False) -> None:
        super().__init__(parent, title)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton(action)
        set_kind(self.ok_button, "danger" if danger else "primary")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.cancel_button)
        self.buttons.addWidget(self.ok_button)
        self.body.addWidget(label(title, "Section"))
        if intro:
            self.body.addWidget(label(intro, "Muted", wrap=True))
        self.body.addLayout(self.form)

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


class QtCodeDialog(QtDialog):
    """Shows a one-time code to hand over, with buttons to copy the code or a ready-made message."""

    def __init__(self, parent: QWidget | None, title: str, intro: str, code: str, message: str) -> None:
        super().__init__(parent, title, min_width=520)
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
        self.buttons.addWidget(self.copy_code)
        self.buttons.addWidget(self.copy_message)
        self.buttons.addStretch(1)
        self.buttons.addWidget(done)
        self.body.addWidget(label(title, "Section"))
        self.body.addWidget(label(intro, "Muted", wrap=True))
        self.body.addWidget(self.code_label)
        self.body.addWidget(label("Or send them this message:", "Muted"))
        self.body.addWidget(label(message, "Message", wrap=True))

    def _copy(self, text: str, button: QPushButton) -> None:
        QGuiApplication.clipboard().setText(text)
        button.setText("Copied")


class QtEditValueDialog(QtFormDialog):
    """One value to type, e.g. a facet value's new spelling: wide enough for the value and its question."""

    def __init__(self, parent: QWidget | None, title: str, question: str, value: str, action: str = "OK") -> None:
        super().__init__(parent, title, "", action)
        self.edit = self.field(question)
        self.edit.setText(value)
        self.edit.selectAll()
        self.edit.setMinimumWidth(min(520, max(240, self.edit.fontMetrics().horizontalAdvance(value) + 40)))


def ask_text(parent: QWidget | None, title: str, question: str, value: str = "") -> tuple[str, bool]:
    """Like QInputDialog.getText, in the app's dialog style: (text, True) when the user pressed OK."""
    dialog = QtEditValueDialog(parent, title, question, value)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    return dialog.edit.text(), accepted


class QtSaveFirstDialog(QtFormDialog):
    """Unsaved changes and an action that would not use them: [Cancel] [skip: act without saving] [save, then act]."""

    def __init__(self, parent: QWidget | None, title: str, intro: str, save: str, skip: str) -> None:
        super().__init__(parent, title, intro, save)
        self.choice = ""  # "save" or "skip" once the user picked one
        self.skip_button = QPushButton(skip)
        self.skip_button.clicked.connect(lambda: self._chose("skip"))
        self.buttons.insertWidget(self.buttons.indexOf(self.ok_button), self.skip_button)

    def submit(self) -> None:
        self._chose("save")

    def _chose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
