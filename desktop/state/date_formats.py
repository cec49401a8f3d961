"""The Parse dates dialog without Qt: the common formats with examples, what the server detected in the
column, which boxes start ticked, and the step config built from the user's choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

Json = dict[str, Any]
# (format as the step takes it, how 31 December 2024 looks, a plain name)
COMMON = [
    ("dd/mm/yyyy", "31/12/2024", "day/month/year"),
    ("mm/dd/yyyy", "12/31/2024", "month/day/year (American)"),
    ("yyyy-mm-dd", "2024-12-31", "year-month-day"),
    ("dd.mm.yyyy", "31.12.2024", "day.month.year"),
    ("dd-mm-yyyy", "31-12-2024", "day-month-year"),
    ("dd-mon-yyyy", "31-Dec-2024", "day-month name-year"),
    ("yyyy/mm/dd", "2024/12/31", "year/month/day"),
    ("dd mon yyyy", "31 Dec 2024", "day month name year"),
    ("excel", "45657", "Excel date number"),
]
_PAIR = ("dd/mm/yyyy", "mm/dd/yyyy")


@dataclass(frozen=True)
class FormatChoice:
    """One check box: its format, the words beside it, whether it starts ticked, and its tooltip."""

    format: str
    text: str
    checked: bool
    tip: str


def _readable(iso: str) -> str:
    try:
        return f"{date.fromisoformat(iso):%d %b %Y}".lstrip("0")
    except ValueError:
        return iso


def _found_text(found: Json | None) -> str:
    if not found:
        return "not found in this column"
    samples = ", ".join(f"{text} → {_readable(iso)}" for text, iso in found.get("samples", [])[:1])
    rows = int(found.get("rows", 0))
    return f"{rows:,} row{'s' if rows != 1 else ''}, e.g. {samples}"


def _ticked(detected: dict[str, Json], chosen: list[str]) -> set[str]:
    """The saved formats when editing; else every detected one, but only the likelier of dd/mm and mm/dd."""
    if chosen:
        return set(chosen)
    ticked = set(detected)
    if set(_PAIR) <= ticked:  # a value fitting both is read with the first: tick the one more values need
        day_first = detected[_PAIR[0]].get("only", 0) >= detected[_PAIR[1]].get("only", 0)
        ticked.discard(_PAIR[1] if day_first else _PAIR[0])
    return ticked


def choices(detection: Json | None, chosen: list[str]) -> list[FormatChoice]:
    """A check box per common format, found ones first, with rows and examples from the detection."""
    detected = {f["format"]: f for f in (detection or {}).get("formats", [])}
    ticked = _ticked(detected, chosen)
    rows = [
        FormatChoice(
            fmt, f"{example}  ({name})\n{_found_text(detected.get(fmt))}", fmt in ticked, f"Format code: {fmt}"
        )
        for fmt, example, name in COMMON
    ]
    return sorted(rows, key=lambda c: c.format not in detected and c.format not in ticked)


def other_formats(chosen: list[str]) -> str:
    """Saved formats that are not among the common ones, for the 'other format' field."""
    common = {fmt for fmt, _, _ in COMMON}
    return ", ".join(f for f in chosen if f not in common)


def unread_text(detection: Json | None) -> str:
    """What no common format reads, in plain words."""
    rows = int((detection or {}).get("unread_rows", 0))
    if not detection:
        return "Looking at the values…"
    if not rows:
        return "Every value with text fits one of the formats found."
    verb = "row has" if rows == 1 else "rows have"
    return f"{rows:,} {verb} text that is not a date in any of these formats (it is kept if you tick below)."


def parse_config(column: str, ticked: list[str], other: str, keep: bool, with_time: bool, output_column: str) -> Json:
    """The parse_dates step config; ValueError names what is missing."""
    if not column:
        raise ValueError("Choose the column that holds the dates.")
    formats = [*ticked, *(f.strip() for f in other.split(",") if f.strip())]
    if not formats:
        raise ValueError("Tick at least one date format (or type one under “Other format”).")
    config: Json = {"column": column, "formats": formats, "keep_unparsed": keep}
    config["output"] = "timestamp" if with_time else "date"
    if output_column.strip():
        config["output_column"] = output_column.strip()
    return config
