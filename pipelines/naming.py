"""Safe identifiers for tables and columns; original names are kept by the caller as metadata."""

from __future__ import annotations

import re
import unicodedata

_NON_IDENT = re.compile(r"[^a-z0-9_]+")
MAX_IDENT = 63  # Postgres limit; keeps names portable to every warehouse


def normalise_identifier(raw: str, fallback: str = "column") -> str:
    """`"Household Size (people)"` → `household_size_people`; never empty, never starts with a digit."""
    text = unicodedata.normalize("NFKD", str(raw)).encode("ascii", "ignore").decode().lower()
    leading = "_" if text.startswith("_") else ""
    text = _NON_IDENT.sub("_", text).strip("_")
    text = leading + re.sub(r"_+", "_", text) if text else ""
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"_{text}"
    return text[:MAX_IDENT]


def normalise_columns(raw_names: list[str]) -> list[str]:
    """Normalise a header row: empty names become `column_<n>`, duplicates get `_2`, `_3`, ..."""
    seen: dict[str, int] = {}
    result: list[str] = []
    for position, raw in enumerate(raw_names, start=1):
        base = normalise_identifier(raw, fallback=f"column_{position}") if str(raw).strip() else f"column_{position}"
        name = base
        while name in seen:
            seen[base] += 1
            name = f"{base[: MAX_IDENT - 4]}_{seen[base]}"
        seen.setdefault(name, 1)
        result.append(name)
    return result


def slugify(text: str, max_length: int = 40) -> str:
    """A URL/schema-safe slug: lowercase letters, digits and dashes."""
    slug = normalise_identifier(text, fallback="item").replace("_", "-").strip("-")
    return slug[:max_length].strip("-") or "item"
