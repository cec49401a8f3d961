"""Number formats: international (1,234,567) and Indian lakh/crore grouping (12,34,567; "12.3 lakh", "1.2 crore")."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

LAKH = 100_000
CRORE = 10_000_000


def group_indian(digits: str) -> str:
    """'123456789' → '12,34,56,789': the last three digits, then pairs."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail]) if head else ",".join([*pairs, tail])


def _decimals(value: float) -> int:
    return 0 if float(value).is_integer() or abs(value) >= 1000 else (1 if abs(value) >= 10 else 2)


def grouped(value: float, system: str, decimals: int | None = None) -> str:
    """A full number with thousands separators in the international or Indian system."""
    places = _decimals(value) if decimals is None else decimals
    text = f"{abs(value):.{places}f}"
    whole, _, frac = text.partition(".")
    whole = group_indian(whole) if system == "indian" else f"{int(whole):,}"
    sign = "-" if value < 0 and float(text) != 0 else ""
    return sign + whole + (f".{frac.rstrip('0')}" if frac.rstrip("0") else "")


def short_indian(value: float) -> str:
    """'12.3 lakh', '1.2 crore', '1,234 crore'; below a lakh the grouped number."""
    size = abs(value)
    if size >= CRORE:
        return f"{_trim(value / CRORE, 1, indian=True)} crore"
    if size >= LAKH:
        return f"{_trim(value / LAKH, 1, indian=True)} lakh"
    return grouped(value, "indian")


def short_international(value: float) -> str:
    """'12.3K', '4.5M', '1.2B'."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{_trim(value / size, 1, indian=False)}{suffix}"
    return grouped(value, "international")


def _trim(value: float, places: int, *, indian: bool) -> str:
    rounded = round(value, places)
    if abs(rounded) >= 1000:
        return grouped(round(rounded), "indian" if indian else "international", 0)
    text = f"{rounded:.{places}f}".rstrip("0").rstrip(".")
    return text


def format_number(value: Any, fmt: str = "international") -> str:
    """A value as a chart label; non-numbers pass through as text."""
    if value is None:
        return "(blank)"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return format_value(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "-"
    if fmt == "indian":
        return grouped(value, "indian")
    if fmt == "indian_short":
        return short_indian(value)
    if fmt == "international_short":
        return short_international(value)
    if fmt == "percent":
        return f"{value * 100:.1f}%"
    if fmt == "plain":
        return f"{value:g}" if isinstance(value, float) else str(value)
    return grouped(value, "international")


def axis_format(fmt: str) -> str:
    """Axis ticks use the short form of the chosen system, so long numbers never crowd the axis."""
    return {"indian": "indian_short", "international": "international_short"}.get(fmt, fmt)


def format_value(value: Any) -> str:
    """A category or cell as text: dates without a midnight time, blanks named."""
    if value is None:
        return "(blank)"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.min.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
