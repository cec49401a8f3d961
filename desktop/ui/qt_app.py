"""The QApplication: created once, themed, and run."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from desktop.ui.qt_theme import apply_theme


def create_application(argv: list[str] | None = None) -> QApplication:
    """The app's QApplication (reused if one exists, as under pytest-qt), with the Dalgo theme."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Dalgo")
    app.setApplicationDisplayName("Dalgo")
    app.setOrganizationName("Dalgo")
    apply_theme(app)
    return app
