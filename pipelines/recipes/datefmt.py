"""Date formats: the human spelling users type (`dd/mm/yyyy`) to strftime, and strftime to Postgres."""

from __future__ import annotations

import re

# Longest tokens first; "mm" after an hour token means minutes (handled in to_strftime).
_HUMAN = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("mmmm", "%B"),
    ("month", "%B"),
    ("mmm", "%b"),
    ("mon", "%b"),
    ("mm", "%m"),
    ("dd", "%d"),
    ("hh24", "%H"),
    ("hh", "%H"),
    ("mi", "%M"),
    ("ss", "%S"),
    ("am", "%p"),
    ("pm", "%p"),
]
_PG = {
    "%Y": "YYYY",
    "%y": "YY",
    "%m": "MM",
    "%d": "DD",
    "%H": "HH24",
    "%I": "HH12",
    "%M": "MI",
    "%S": "SS",
    "%b": "Mon",
    "%B": "Month",
    "%p": "AM",
    "%f": "US",
    "%%": "%",
}
_REGEX = {
    "%Y": r"[0-9]{4}",
    "%y": r"[0-9]{2}",
    "%m": r"[0-9]{1,2}",
    "%d": r"[0-9]{1,2}",
    "%H": r"[0-9]{1,2}",
    "%I": r"[0-9]{1,2}",
    "%M": r"[0-9]{2}",
    "%S": r"[0-9]{2}",
    "%b": r"[A-Za-z]{3}",
    "%B": r"[A-Za-z]+",
    "%p": r"[AaPp][Mm]",
    "%f": r"[0-9]{1,6}",
    "%%": "%",
}
_DIRECTIVE = re.compile(r"%.")
_SPECIAL = re.compile(r"[.^$*+?()\[\]{}|\\]")


def to_strftime(fmt: str) -> str:
    """`dd/mm/yyyy` → `%d/%m/%Y`; a format already using `%` directives is returned as is."""
    if "%" in fmt:
        bad = [d for d in _DIRECTIVE.findall(fmt) if d not in _REGEX]
        if bad:
            raise ValueError(f"unsupported date directive {bad[0]} in '{fmt}'")
        return fmt
    out, i, last = [], 0, ""
    lower = fmt.lower()
    while i < len(fmt):
        for token, directive in _HUMAN:
            if lower.startswith(token, i):
                last = "%M" if token == "mm" and last in {"%H", "%I"} else directive
                out.append(last)
                i += len(token)
                break
        else:
            out.append("%%" if fmt[i] == "%" else fmt[i])
            i += 1
    result = "".join(out)
    if "%" not in result:
        raise ValueError(f"'{fmt}' has no date parts; write it like dd/mm/yyyy or %d/%m/%Y")
    return result


def _split(fmt: str) -> list[str]:
    return re.split(r"(%.)", fmt)


def strftime_to_postgres(fmt: str) -> str:
    """`%d/%m/%Y` → `DD/MM/YYYY` (literal text quoted so Postgres does not read it as a pattern)."""
    parts = []
    for piece in _split(fmt):
        if piece in _PG:
            parts.append(_PG[piece])
        elif piece:
            parts.append('"' + piece.replace('"', "") + '"' if any(ch.isalpha() for ch in piece) else piece)
    return "".join(parts)


def strftime_regex(fmt: str) -> str:
    """A regex that text must fully match to be parsed with `fmt` (so Postgres never raises on junk)."""
    parts = [_REGEX.get(piece, _SPECIAL.sub(r"\\\g<0>", piece)) for piece in _split(fmt) if piece]
    return r"^\s*" + "".join(parts) + r"\s*$"
