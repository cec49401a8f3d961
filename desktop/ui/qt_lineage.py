"""QtLineageView: the lineage graph as a picture, and upstream/downstream of the selected model."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPushButton, QScrollArea, QVBoxLayout, QWidget

from desktop.state.transform import TransformModel
from desktop.ui.qt_theme import label


class QtLineageView(QWidget):
    def __init__(self, model: TransformModel) -> None:
        super().__init__()
        self.model = model
        self.node: str | None = None
        self.picture = QLabel("Open this tab to draw the lineage.")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area = scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        self.heading = label("", "Section")
        self.upstream, self.downstream = QListWidget(), QListWidget()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(lambda: model.load_lineage(self.node))
        side = QVBoxLayout()
        side.addWidget(self.heading)
        side.addWidget(label("Upstream (feeds it)", "Muted"))
        side.addWidget(self.upstream, 1)
        side.addWidget(label("Downstream (uses it)", "Muted"))
        side.addWidget(self.downstream, 1)
        side.addWidget(self.refresh_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(side)
        model.lineage_changed.connect(self.refresh)

    def show_node(self, node: str | None) -> None:
        self.node = node
        self.model.load_lineage(node)

    def refresh(self) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(self.model.lineage_png):
            room = self.scroll_area.viewport().size()
            if pixmap.width() > room.width() or pixmap.height() > room.height():  # fit; scroll only when tiny
                pixmap = pixmap.scaled(
                    room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            self.picture.setPixmap(pixmap)
        lineage = self.model.lineage or {}
        self.heading.setText(f"Lineage of {self.node}" if self.node else "Select a model to see its neighbours")
        for widget, key in ((self.upstream, "upstream"), (self.downstream, "downstream")):
            widget.clear()
            widget.addItems(lineage.get(key, []) or ["(none)"])
