"""Look and feel: one palette, one type scale, one style sheet, and line icons drawn from inline SVG."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QFont, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

PRIMARY = "#0f766e"
PRIMARY_DARK = "#115e59"
PRIMARY_SOFT = "#ccfbf1"
SIDEBAR = "#13222e"
SIDEBAR_TEXT = "#c7d2dc"
BG = "#f4f6f8"
CARD = "#ffffff"
BORDER = "#dde3ea"
TEXT = "#1e293b"
MUTED = "#64748b"
DANGER = "#b91c1c"
BANNER = {
    "error": ("#fef2f2", "#fecaca", "#991b1b"),
    "warning": ("#fffbeb", "#fde68a", "#92400e"),
    "info": ("#eff6ff", "#bfdbfe", "#1e40af"),
    "success": ("#f0fdf4", "#bbf7d0", "#166534"),
}

ASSETS = Path(__file__).resolve().parent / "assets"
CHEVRON = (ASSETS / "chevron-down.svg").as_posix()

STYLE = f"""
QWidget {{ color: {TEXT}; font-size: 10pt; }}
QMainWindow, #Screen, #Page {{ background: {BG}; }}
QDialog {{ background: {CARD}; }}
#Card {{ background: {CARD}; border: 1px solid {BORDER}; border-radius: 10px; }}
#Sidebar {{ background: {SIDEBAR}; }}
#Sidebar QLabel {{ color: {SIDEBAR_TEXT}; }}
#Brand {{ color: white; font-size: 16pt; font-weight: 700; }}
#SidebarFoot {{ color: #8094a6; font-size: 8.5pt; }}
#NavButton {{ color: {SIDEBAR_TEXT}; background: transparent; border: none; border-radius: 6px;
  padding: 8px 12px; text-align: left; font-size: 10.5pt; }}
#NavButton:hover {{ background: #1d3242; color: white; }}
#NavButton:checked {{ background: {PRIMARY}; color: white; font-weight: 600; }}
#TopBar {{ background: {CARD}; border-bottom: 1px solid {BORDER}; }}
#PageTitle {{ font-size: 17pt; font-weight: 600; }}
#Title {{ font-size: 20pt; font-weight: 700; }}
#Subtitle, #Muted {{ color: {MUTED}; }}
#Section {{ font-size: 12pt; font-weight: 600; }}
#Chip {{ background: {PRIMARY_SOFT}; color: {PRIMARY_DARK}; border-radius: 11px; padding: 3px 10px;
  font-weight: 600; }}
#Code {{ font-family: "DejaVu Sans Mono", "Consolas", monospace; font-size: 18pt; font-weight: 700;
  letter-spacing: 2px; background: #f1f5f9; border: 1px dashed #94a3b8; border-radius: 8px; padding: 12px; }}
#StepOn {{ color: {PRIMARY}; font-weight: 700; }}
#StepOff {{ color: #94a3b8; }}
QLineEdit, QComboBox {{ background: white; border: 1px solid #cbd5e1; border-radius: 6px; padding: 6px 8px;
  min-height: 20px; }}
QLineEdit:focus, QComboBox:focus {{ border: 1px solid {PRIMARY}; }}
QComboBox {{ padding-right: 26px; }}
QComboBox::drop-down {{ border: none; width: 24px; subcontrol-origin: padding; subcontrol-position: center right; }}
QComboBox::down-arrow {{ image: url("{CHEVRON}"); width: 12px; height: 12px; }}
QComboBox QAbstractItemView {{ background: white; border: 1px solid {BORDER}; selection-background-color: {PRIMARY_SOFT};
  selection-color: {TEXT}; outline: none; padding: 4px; }}
QComboBox#OrgSwitcher {{ min-width: 190px; font-weight: 600; }}
QPushButton {{ background: white; border: 1px solid #cbd5e1; border-radius: 6px; padding: 6px 14px;
  min-height: 20px; }}
QPushButton:hover {{ background: #f1f5f9; }}
QPushButton:disabled {{ color: #94a3b8; background: #f8fafc; border-color: #e2e8f0; }}
QPushButton[kind="primary"] {{ background: {PRIMARY}; color: white; border: 1px solid {PRIMARY}; font-weight: 600; }}
QPushButton[kind="primary"]:hover {{ background: {PRIMARY_DARK}; }}
QPushButton[kind="primary"]:disabled {{ background: #99c7c2; border-color: #99c7c2; color: white; }}
QPushButton[kind="danger"] {{ color: {DANGER}; border-color: #fca5a5; }}
QPushButton[kind="danger"]:disabled {{ color: #94a3b8; border-color: #e2e8f0; }}
QPushButton[kind="link"] {{ background: transparent; border: none; color: {PRIMARY}; padding: 2px 0; }}
QPushButton[kind="link"]:hover {{ text-decoration: underline; }}
QToolButton#UserMenu {{ border: 1px solid {BORDER}; border-radius: 6px; padding: 5px 26px 5px 10px; background: white; }}
QToolButton#UserMenu::menu-indicator {{ image: url("{CHEVRON}"); subcontrol-origin: padding;
  subcontrol-position: center right; right: 8px; width: 12px; height: 12px; }}
QMenu {{ background: white; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 6px 20px; border-radius: 4px; }}
QMenu::item:selected {{ background: {PRIMARY_SOFT}; }}
QMenu::item:disabled {{ color: {MUTED}; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 6px; }}
QTableWidget {{ background: white; border: 1px solid {BORDER}; border-radius: 8px; gridline-color: #eef2f6;
  selection-background-color: {PRIMARY_SOFT}; selection-color: {TEXT}; alternate-background-color: #f8fafc; }}
QTableWidget::item {{ padding: 0 8px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar::handle:vertical {{ background: #cbd5e1; border-radius: 3px; min-height: 30px; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 2px; }}
QScrollBar::handle:horizontal {{ background: #cbd5e1; border-radius: 3px; min-width: 30px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
#Message {{ background: #f8fafc; border: 1px solid {BORDER}; border-radius: 8px; padding: 10px; color: #334155; }}
QHeaderView::section {{ background: #f8fafc; border: none; border-bottom: 1px solid {BORDER}; padding: 6px 8px;
  font-weight: 600; color: #475569; }}
QCheckBox {{ spacing: 6px; }}
QProgressBar {{ border: none; background: #e2e8f0; border-radius: 3px; max-height: 6px; }}
QProgressBar::chunk {{ background: {PRIMARY}; border-radius: 3px; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion everywhere so the app looks the same on Windows, macOS and Linux."""
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(STYLE)


def label(text: str, name: str = "", wrap: bool = False) -> QLabel:
    """A QLabel with a style role (`PageTitle`, `Section`, `Muted`, ...)."""
    widget = QLabel(text)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    return widget


def restyle(widget: QWidget, name: str) -> None:
    """Give a widget another style role and re-apply the style sheet to it."""
    widget.setObjectName(name)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def set_kind(widget: QWidget, kind: str) -> QWidget:
    """Mark a button primary/danger/link for the style sheet."""
    widget.setProperty("kind", kind)
    return widget


def _gear() -> str:
    spokes = []
    for i in range(8):
        a = math.radians(i * 45)
        x1, y1 = 12 + 6.5 * math.cos(a), 12 + 6.5 * math.sin(a)
        x2, y2 = 12 + 9.5 * math.cos(a), 12 + 9.5 * math.sin(a)
        spokes.append(f'<path d="M{x1:.2f} {y1:.2f} L{x2:.2f} {y2:.2f}"/>')
    return '<circle cx="12" cy="12" r="3"/><circle cx="12" cy="12" r="6.5"/>' + "".join(spokes)


# Hand-drawn 24x24 line icons (stroke only) so the app needs no icon font or image files.
ICONS = {
    "home": '<path d="M3 11 L12 3 L21 11"/><path d="M5 9.5 V21 H10 V15 H14 V21 H19 V9.5"/>',
    "sources": '<path d="M12 3 V14"/><path d="M7 9 L12 14 L17 9"/><path d="M4 15 V20 H20 V15"/>',
    "data": '<ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5 V19 C4 20.7 7.6 22 12 22 C16.4 22 20 20.7 20 19 V5"/>'
    '<path d="M4 12 C4 13.7 7.6 15 12 15 C16.4 15 20 13.7 20 12"/>',
    "transform": '<path d="M4 7 H17"/><path d="M14 4 L17 7 L14 10"/><path d="M20 17 H7"/><path d="M10 14 L7 17 L10 20"/>',
    "pipelines": '<circle cx="5" cy="12" r="2.5"/><circle cx="19" cy="5" r="2.5"/><circle cx="19" cy="19" r="2.5"/>'
    '<path d="M7.5 12 H12 V5 H16.5"/><path d="M12 12 V19 H16.5"/>',
    "charts": '<path d="M3 21 H21"/><rect x="5" y="11" width="3.5" height="10"/><rect x="10.25" y="5" width="3.5" '
    'height="16"/><rect x="15.5" y="14" width="3.5" height="7"/>',
    "dashboards": '<rect x="3" y="3" width="8" height="10" rx="1.5"/><rect x="13" y="3" width="8" height="6" rx="1.5"/>'
    '<rect x="13" y="11" width="8" height="10" rx="1.5"/><rect x="3" y="15" width="8" height="6" rx="1.5"/>',
    "sync": '<path d="M20 12 A8 8 0 0 1 6.3 17.7"/><path d="M4 12 A8 8 0 0 1 17.7 6.3"/><path d="M18 2.5 V6.5 H14"/>'
    '<path d="M6 21.5 V17.5 H10"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20 C2.5 15.5 5.5 13.5 9 13.5 C12.5 13.5 15.5 15.5 15.5 20"/>'
    '<circle cx="17" cy="9" r="2.5"/><path d="M17 14 C19.5 14 21.5 15.5 21.5 19"/>',
    "settings": _gear(),
    "server": '<rect x="3" y="4" width="18" height="7" rx="1.5"/><rect x="3" y="13" width="18" height="7" rx="1.5"/>'
    '<path d="M7 7.5 H7.01"/><path d="M7 16.5 H7.01"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21 C4 16.5 7.5 14 12 14 C16.5 14 20 16.5 20 21"/>',
    "copy": '<rect x="8" y="8" width="12" height="12" rx="2"/><path d="M16 8 V5 A1 1 0 0 0 15 4 H5 A1 1 0 0 0 4 5 '
    'V15 A1 1 0 0 0 5 16 H8"/>',
    "close": '<path d="M6 6 L18 18"/><path d="M18 6 L6 18"/>',
    "later": '<circle cx="12" cy="12" r="9"/><path d="M12 7 V12 L15.5 14"/>',
}


@cache
def icon(name: str, color: str = TEXT, size: int = 20) -> QIcon:
    """A crisp icon of `name` in `color`, rendered at 1x and 2x for high-DPI screens."""
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="{color}" '
        f'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">{ICONS[name]}</svg>'
    )
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    result = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(size * scale, size * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size * scale, size * scale))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        result.addPixmap(pixmap)
    return result


def card(margins: int = 24, spacing: int = 12) -> tuple[QFrame, QVBoxLayout]:
    """A white rounded panel and its vertical layout."""
    frame = QFrame()
    frame.setObjectName("Card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(spacing)
    return frame, layout


def centered(widget: QWidget, width: int) -> QWidget:
    """A full-window screen with `widget` centred at a fixed width (login, onboarding)."""
    screen = QWidget()
    screen.setObjectName("Screen")
    widget.setFixedWidth(width)
    outer = QVBoxLayout(screen)
    outer.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)
    return screen


def brand() -> QWidget:
    """The Dalgo word mark used on the sign-in screens."""
    mark = QLabel("Dalgo")
    mark.setStyleSheet(f"color: {PRIMARY}; font-size: 15pt; font-weight: 800;")
    return mark
