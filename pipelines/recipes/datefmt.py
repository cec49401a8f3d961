"""Date formats: the human spelling users type (`dd/mm/yyyy`) to strftime, strftime to Postgres, and which
common formats a column's text is written in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

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


# ---- detecting the formats of a column -----------------------------------------------------------

EXCEL = "excel"
# The formats a field office meets, each with how 31 December 2024 looks in it.
COMMON = [
    ("dd/mm/yyyy", "31/12/2024"),
    ("mm/dd/yyyy", "12/31/2024"),
    ("yyyy-mm-dd", "2024-12-31"),
    ("dd.mm.yyyy", "31.12.2024"),
    ("dd-mm-yyyy", "31-12-2024"),
    ("dd-mon-yyyy", "31-Dec-2024"),
    ("yyyy/mm/dd", "2024/12/31"),
    ("dd mon yyyy", "31 Dec 2024"),
    (EXCEL, "45657"),
]
AMBIGUOUS = (
    "Dates like 03/04/2024 can be 3 April (dd/mm) or 4 March (mm/dd). Tick the one your forms use; "
    "a value that fits both is read with the first ticked format."
)


def is_excel(fmt: str) -> bool:
    """Whether `fmt` means Excel serial day numbers (45657 is 31/12/2024)."""
    return fmt.strip().lower() in {EXCEL, "excel serial", "excel serial number"}


@dataclass(frozen=True)
class DetectedFormat:
    """A candidate format: the rows and distinct values it reads, those only it reads, and examples."""

    format: str
    example: str
    rows: int
    values: int
    only: int
    samples: list[tuple[str, str]]  # (text as found, the date it becomes)


def _reader(fmt: str) -> str:
    """DuckDB SQL turning the text `v` into a DATE with `fmt` (NULL when it does not fit)."""
    if is_excel(fmt):
        return "CASE WHEN regexp_full_match(v, '[0-9]{5}') THEN DATE '1899-12-30' + CAST(v AS INTEGER) END"
    return f"CAST(try_strptime(v, '{to_strftime(fmt)}') AS DATE)"


def detect_formats(
    con: duckdb.DuckDBPyConnection, relation_sql: str, quoted_column: str, *, sample: int = 20_000
) -> tuple[list[DetectedFormat], int, int]:
    """Which common formats read the column's text (most frequent `sample` distinct values), with the
    rows and distinct values nothing reads."""
    names = [fmt for fmt, _ in COMMON]
    reads = ", ".join(f"{_reader(fmt)} AS f{i}" for i, fmt in enumerate(names))
    rows = con.execute(
        f"""SELECT v, n, {reads} FROM (
            SELECT trim(CAST({quoted_column} AS VARCHAR)) AS v, COUNT(*) AS n FROM {relation_sql} AS _r
            WHERE {quoted_column} IS NOT NULL AND trim(CAST({quoted_column} AS VARCHAR)) <> ''
            GROUP BY 1 ORDER BY n DESC, v LIMIT {int(sample)})"""
    ).fetchall()
    found = [_summary(fmt, example, i, rows) for i, (fmt, example) in enumerate(COMMON)]
    unread = [r for r in rows if all(d is None for d in r[2:])]
    return [f for f in found if f.values], sum(int(r[1]) for r in unread), len(unread)


def _summary(fmt: str, example: str, i: int, rows: list[tuple[Any, ...]]) -> DetectedFormat:
    hits = [r for r in rows if r[2 + i] is not None]
    only = [r for r in hits if sum(d is not None for d in r[2:]) == 1]
    samples = [(str(r[0]), r[2 + i].isoformat()) for r in (only or hits)[:3]]
    return DetectedFormat(fmt, example, sum(int(r[1]) for r in hits), len(hits), len(only), samples)
