"""Launch the desktop app (plain `dalgo`), or say how to install Qt when this install has none."""

from __future__ import annotations

import importlib.util
import sys

QT_MISSING = (
    "The desktop app needs PySide6: install dalgo-desktop[desktop] "
    "(pip install 'dalgo-desktop[desktop]', or `uv sync` in a checkout). "
    "This install can still run a hosted server: dalgo serve."
)


def main() -> int:
    if not qt_installed():
        print(f"error: {QT_MISSING}", file=sys.stderr)
        return 1
    from desktop.app import main as app_main

    return app_main()


def qt_installed() -> bool:
    """Whether PySide6 is installed (a server install, `uv sync --no-group desktop`, leaves it out)."""
    return importlib.util.find_spec("PySide6") is not None  # finds it without importing: Qt stays in desktop.ui


if __name__ == "__main__":
    raise SystemExit(main())
