"""Column tests and descriptions of a recipe's model, as the editor builds them (written to schema.yml on save)."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
TEST_KINDS = {"not_null": "Not empty", "unique": "Unique", "accepted_values": "Only these values"}
SEVERITIES = {"warn": "Warning", "error": "Error"}


def make_test(column: str, test: str, values_text: str = "", severity: str = "error") -> Json:
    """One column test from the dialog's fields; ValueError names what is missing."""
    column = column.strip()
    if not column:
        raise ValueError("Choose the column to test.")
    if test not in TEST_KINDS:
        raise ValueError(f"Unknown test '{test}'; choose one of: {', '.join(TEST_KINDS)}.")
    if severity not in SEVERITIES:
        raise ValueError("Severity must be warn or error.")
    item: Json = {"column": column, "test": test, "severity": severity}
    if test == "accepted_values":
        values = [v.strip() for v in values_text.split(",") if v.strip()]
        if not values:
            raise ValueError(f"Give the accepted values of {column}, separated by commas.")
        item["values"] = values
    return item


def describe_test(item: Json) -> str:
    """'city: Only these values (Mysuru, Bengaluru) — error' for the list of tests."""
    text = f"{item.get('column')}: {TEST_KINDS.get(item.get('test', ''), item.get('test'))}"
    if item.get("test") == "accepted_values":
        text += f" ({', '.join(str(v) for v in item.get('values', []))})"
    return f"{text} — {SEVERITIES.get(item.get('severity', 'error'), item.get('severity'))}"


def values_text(item: Json) -> str:
    """The accepted values as the comma-separated text the dialog shows."""
    return ", ".join(str(v) for v in item.get("values", []))
