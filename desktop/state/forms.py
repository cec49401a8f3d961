"""Checks made before calling the server, worded for the person filling in the form."""

from __future__ import annotations


def missing(**fields: str) -> str | None:
    """'Fill in the email and password.' for the fields left empty, else None."""
    empty = [name.replace("_", " ") for name, value in fields.items() if not value.strip()]
    if not empty:
        return None
    return f"Fill in the {' and '.join(empty)}."


def mismatch(password: str, confirm: str) -> str | None:
    return None if password == confirm else "The two passwords do not match; type the same password twice."
