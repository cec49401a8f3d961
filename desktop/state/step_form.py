"""An operation's JSON-schema config as form fields (columns as pickers), and typed values back as a config."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

COLUMN_KEYS = {"column", "order_by", "value_column"}  # a single existing column
COLUMNS_KEYS = {"columns", "keys", "group_by", "id_columns", "value_columns"}  # several existing columns


@dataclass(frozen=True)
class StepField:
    """One form row. `kind`: column, columns, choice, boolean, integer, number, text, list, json."""

    key: str
    title: str
    kind: str
    required: bool = False
    description: str = ""
    default: Any = None
    options: list[Any] = field(default_factory=list)
    nullable: bool = False


def _simple(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """`anyOf: [X, {type: null}]` → (X, nullable)."""
    options = prop.get("anyOf")
    if options:
        real = [o for o in options if o.get("type") != "null"]
        if len(real) == 1:
            return {**prop, **real[0]}, len(real) < len(options)
    return prop, False


def _kind(key: str, prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    items = prop.get("items", {})
    if "enum" in prop:
        return "choice"
    if kind == "string":
        return "column" if key in COLUMN_KEYS else "text"
    if kind in ("boolean", "integer", "number"):
        return str(kind)
    if kind == "array" and items.get("type") == "string":
        return "columns" if key in COLUMNS_KEYS else "list"
    return "json"


def fields_of(schema: dict[str, Any]) -> list[StepField]:
    """Form rows in schema order."""
    required = set(schema.get("required", []))
    rows = []
    for key, raw in schema.get("properties", {}).items():
        prop, nullable = _simple(raw)
        rows.append(
            StepField(
                key=key,
                title=str(raw.get("title") or key.replace("_", " ").capitalize()),
                kind=_kind(key, prop),
                required=key in required,
                description=str(raw.get("description") or ""),
                default=raw.get("default"),
                options=list(prop.get("enum", [])),
                nullable=nullable,
            )
        )
    return rows


def to_text(f: StepField, value: Any) -> str:
    """A config value as the text a field shows (lists one per line, JSON for the rest)."""
    if value is None:
        return ""
    if f.kind == "list":
        return "\n".join(str(v) for v in value)
    if f.kind == "json":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def from_text(f: StepField, text: str) -> Any:
    """Text typed into a field → the config value; raises ValueError naming the field."""
    text = text.strip()
    if not text:
        return None
    try:
        if f.kind == "integer":
            return int(text)
        if f.kind == "number":
            return float(text)
        if f.kind == "list":
            return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
        if f.kind == "json":
            return json.loads(text)
    except ValueError as err:
        raise ValueError(f"{f.title}: '{text}' is not valid here ({err}).") from err
    return text


def build_config(fields: list[StepField], values: dict[str, Any]) -> dict[str, Any]:
    """Collect values into a config; empty optional fields are left out, empty required ones are an error."""
    config: dict[str, Any] = {}
    for f in fields:
        value = values.get(f.key)
        if value in (None, "", []):
            if f.required:
                raise ValueError(f"{f.title} is required.")
            continue
        config[f.key] = value
    return config
