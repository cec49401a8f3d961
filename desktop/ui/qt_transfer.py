"""QtTransferBar: follows an upload or download (a state Transfer) with a progress bar, words and Cancel."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from desktop.state.transfer import Transfer
from desktop.ui.qt_theme import label

POLL_MS = 100


class QtTransferBar(QWidget):
    """Hidden until `follow(transfer)`; the worker writes progress, a timer here reads it on the UI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.transfer: Transfer | None = None
        self.text = label("", "Muted")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMinimumWidth(160)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.refresh)
        self.hide()

    def follow(self, transfer: Transfer | None) -> None:
        self.transfer = transfer
        if transfer is None:
            self.hide()
            return
        self.show()
        self.cancel_button.setEnabled(True)
        self.refresh()
        self._timer.start()

    def refresh(self) -> None:
        transfer = self.transfer
        if transfer is None:
            return
        percent = transfer.percent()
        if percent is None:
            self.bar.setRange(0, 0)  # size unknown: a busy bar
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(percent)
        self.text.setText(transfer.text())
        if transfer.finished:
            self._timer.stop()
            self.cancel_button.setEnabled(False)
            self.hide()

    def cancel(self) -> None:
        if self.transfer is not None:
            self.transfer.cancel()
            self.cancel_button.setEnabled(False)
