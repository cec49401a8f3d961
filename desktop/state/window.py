"""Where the main window opens: the last place the user left it, always inside the screen it opens on."""

from __future__ import annotations

from typing import NamedTuple

DEFAULT_SIZE = (1240, 800)
MINIMUM_SIZE = (760, 480)  # a 1024x600 netbook minus its taskbar and window frame still holds the window
FRAME_ALLOWANCE = 40  # the window manager's title bar sits outside the size we set


class Rect(NamedTuple):
    x: int
    y: int
    width: int
    height: int


def window_place(saved: dict[str, int] | None, available: Rect) -> tuple[Rect, bool]:
    """The window's (geometry, maximised): the saved one clamped to the screen, else a default that fits it."""
    max_w, max_h = available.width, max(MINIMUM_SIZE[1], available.height - FRAME_ALLOWANCE)
    if saved is None:
        width, height = min(DEFAULT_SIZE[0], max_w), min(DEFAULT_SIZE[1], max_h)
        x = available.x + (available.width - width) // 2
        y = available.y + (available.height - FRAME_ALLOWANCE - height) // 2 + FRAME_ALLOWANCE // 2
        return Rect(x, max(available.y, y), width, height), False
    width = min(max(saved["width"], MINIMUM_SIZE[0]), max_w)
    height = min(max(saved["height"], MINIMUM_SIZE[1]), max_h)
    x = min(max(saved["x"], available.x), available.x + available.width - width)
    y = min(max(saved["y"], available.y), available.y + available.height - height)
    return Rect(x, y, width, height), bool(saved["maximised"])
