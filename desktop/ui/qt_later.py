"""QtComingLaterPage: an honest page for a section this version does not have yet."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.state.sections import Section
from desktop.ui.qt_theme import MUTED, card, icon, label

LATER_NOTE = (
    "Today Dalgo brings in data (Sources), shows it (Data), cleans it (Transform) and runs it on a schedule "
    "(Pipelines). "
    "This page stays empty until this part is ready: it will never show made-up examples."
)


class QtComingLaterPage(QWidget):
    def __init__(self, section: Section) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.section = section
        panel, layout = card(40, 14)
        picture = QLabel()
        picture.setPixmap(icon(section.key, MUTED, 48).pixmap(QSize(48, 48)))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(picture)
        headline = label(f"{section.title}: coming in a later version", "Section")
        headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(headline)
        self.summary = label(f"What it will do: {section.summary}", "Muted", wrap=True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.summary)
        note = label(LATER_NOTE, "Muted", wrap=True)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(note)
        panel.setFixedWidth(600)  # a fixed width lets the wrapped labels compute their height
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(panel)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 48, 32, 32)
        outer.addLayout(row)
        outer.addStretch(1)
