"""A connector's JSON-schema spec as form fields, and the values typed into them back as a config."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MASK = "********"  # what the server shows instead of a stored secret, and takes back as "keep it"
UPLOAD = "upload_id"


@dataclass(frozen=True)
class FieldSpec:
    """One form row. `kind`: text, secret, integer, number, boolean, choice, json, upload."""

    key: str
    title: str
    kind: str
    required: bool = False
    description: str = ""
    default: Any = None
    options: list[Any] = field(default_factory=list)  # choices (enum) or suggestions (examples)
    minimum: float | None = None
    maximum: float | None = None
    placeholder: str = ""


def is_secret(prop: dict[str, Any]) -> bool:
    return bool(prop.get("writeOnly") or prop.get("airbyte_secret") or prop.get("format") == "password")


def is_file_connector(spec: dict[str, Any]) -> bool:
    return UPLOAD in spec.get("properties", {})


def _required(spec: dict[str, Any]) -> set[str]:
    """Required keys; `anyOf: [{required: [upload_id]}, {required: [path]}]` makes the upload required here."""
    keys = set(spec.get("required", []))
    for option in spec.get("anyOf", []):
        if UPLOAD in option.get("required", []):
            keys.add(UPLOAD)
    return keys


def _kind(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if prop.get("format") == "upload":
        return "upload"
    if is_secret(prop):
        return "secret"
    if "enum" in prop:
        return "choice"
    if kind in ("integer", "number", "boolean"):
        return str(kind)
    if kind in ("array", "object") or isinstance(kind, list):
        return "json"
    return "text"


def _placeholder(prop: dict[str, Any]) -> str:
    fmt = prop.get("format")
    if fmt == "date":
        return "YYYY-MM-DD"
    if fmt == "uri":
        return "https://…"
    if fmt == "email":
        return "name@example.org"
    return ""


def fields_of(spec: dict[str, Any]) -> list[FieldSpec]:
    """Form rows in spec order; a file connector's local `path` is left out (the upload replaces it)."""
    required = _required(spec)
    rows = []
    for key, prop in spec.get("properties", {}).items():
        if key == "path" and is_file_connector(spec):
            continue
        kind = _kind(prop)
        rows.append(
            FieldSpec(
                key=key,
                title=str(prop.get("title") or key.replace("_", " ").capitalize()),
                kind=kind,
                required=key in required,
                description=str(prop.get("description") or ""),
                default=prop.get("default"),
                options=list(prop.get("enum") or prop.get("examples") or []),
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                placeholder=_placeholder(prop),
            )
        )
    return rows


def initial_value(spec_field: FieldSpec, config: dict[str, Any] | None) -> Any:
    """What the form shows first: the saved value when editing (never a secret), else the default."""
    if config is not None and spec_field.key in config:
        value = config[spec_field.key]
        return "" if spec_field.kind == "secret" else value
    return spec_field.default


def json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)


def _parse_json(spec_field: FieldSpec, text: str) -> tuple[Any, str | None]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"{spec_field.title}: not valid JSON (line {err.lineno}: {err.msg})."
    return value, None


def build_config(
    fields: list[FieldSpec], values: dict[str, Any], saved: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """(config, problems) from the raw form values; an untouched saved secret goes back as the mask (kept)."""
    config: dict[str, Any] = {}
    problems: list[str] = []
    for spec_field in fields:
        raw = values.get(spec_field.key)
        if spec_field.kind == "secret" and not raw and saved and saved.get(spec_field.key) == MASK:
            config[spec_field.key] = MASK
            continue
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in ("", None):
            if spec_field.required:
                upload = spec_field.kind == "upload"
                problems.append("Pick a file to upload." if upload else f"Fill in the {spec_field.title}.")
            continue
        if spec_field.kind == "json":
            raw, problem = _parse_json(spec_field, str(raw))
            if problem:
                problems.append(problem)
                continue
        config[spec_field.key] = raw
    return config, problems
