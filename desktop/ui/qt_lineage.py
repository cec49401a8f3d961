"""QtLineageView: the lineage graph as a picture you can zoom, and upstream/downstream of the selected model."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPushButton, QScrollArea, QVBoxLayout, QWidget

from desktop.state.transform import TransformModel
from desktop.ui.qt_fit import QtElidedLabel
from desktop.ui.qt_theme import label

ZOOM_STEP, ZOOM_MIN, ZOOM_MAX = 1.25, 0.2, 4.0


class QtLineageView(QWidget):
    """Draws as soon as the tab opens ("Drawing…" meanwhile); fitted to the room, zoom in/out to read labels."""

    def __init__(self, model: TransformModel) -> None:
        super().__init__()
        self.model = model
        self.node: str | None = None
        self.original = QPixmap()
        self.zoom: float | None = None  # None: fit the picture to the room
        self.picture = QLabel("The lineage is drawn here.")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area = scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        self.heading = QtElidedLabel("", "Section")
        self.upstream, self.downstream = QListWidget(), QListWidget()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(lambda: self.show_node(self.node))
        self.zoom_out, self.zoom_fit, self.zoom_in = QPushButton("\u2212"), QPushButton("Fit"), QPushButton("+")
        self.zoom_out.setToolTip("Zoom out")
        self.zoom_in.setToolTip("Zoom in")
        self.zoom_fit.setToolTip("Fit the whole picture")
        self.zoom_out.clicked.connect(lambda: self.set_zoom(self._current_zoom() / ZOOM_STEP))
        self.zoom_in.clicked.connect(lambda: self.set_zoom(self._current_zoom() * ZOOM_STEP))
        self.zoom_fit.clicked.connect(lambda: self.set_zoom(None))
        zoom = QHBoxLayout()
        for button in (self.zoom_out, self.zoom_fit, self.zoom_in):
            zoom.addWidget(button)
        side_widget = QWidget()
        side_widget.setFixedWidth(220)
        side = QVBoxLayout(side_widget)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.heading)
        side.addLayout(zoom)
        side.addWidget(label("Upstream (feeds it)", "Muted"))
        side.addWidget(self.upstream, 1)
        side.addWidget(label("Downstream (uses it)", "Muted"))
        side.addWidget(self.downstream, 1)
        side.addWidget(self.refresh_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(side_widget)
        model.lineage_changed.connect(self.refresh)

    def show_node(self, node: str | None) -> None:
        """Draw the lineage around `node`; the tab says so while the picture is being made."""
        self.node = node
        if self.original.isNull():
            self.picture.setText("Drawing the lineage…")
        self.model.load_lineage(node)

    def refresh(self) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(self.model.lineage_png):
            self.original = pixmap
            self._draw()
        lineage = self.model.lineage or {}
        self.heading.setText(f"Lineage of {self.node}" if self.node else "Select a model to see its neighbours")
        for widget, key in ((self.upstream, "upstream"), (self.downstream, "downstream")):
            widget.clear()
            widget.addItems(lineage.get(key, []) or ["(none)"])

    def set_zoom(self, zoom: float | None) -> None:
        self.zoom = None if zoom is None else min(ZOOM_MAX, max(ZOOM_MIN, zoom))
        self._draw()

    def _fit_zoom(self) -> float:
        room = self.scroll_area.viewport().size()
        if self.original.isNull() or room.isEmpty():
            return 1.0
        return min(1.0, room.width() / self.original.width(), room.height() / self.original.height())

    def _current_zoom(self) -> float:
        return self.zoom if self.zoom is not None else self._fit_zoom()

    def _draw(self) -> None:
        if self.original.isNull():
            return
        zoom = self._current_zoom()
        size = self.original.size() * zoom
        mode = Qt.TransformationMode.SmoothTransformation
        shown = self.original if zoom == 1.0 else self.original.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode)
        self.picture.setPixmap(shown)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.zoom is None:
            self._draw()
