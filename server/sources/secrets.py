"""Split a connector config into public fields and secrets (by the spec), and merge them back."""

from __future__ import annotations

import json
from typing import Any

from server.core.security import SecretBox

MASK = "********"


def _is_secret(prop: dict[str, Any]) -> bool:
    return bool(prop.get("writeOnly") or prop.get("airbyte_secret") or prop.get("format") == "password")


def split(spec: dict[str, Any], config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public config, secrets) following the JSON schema's properties, nested objects included."""
    public: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    props = spec.get("properties", {})
    for key, value in config.items():
        prop = props.get(key, {})
        if _is_secret(prop):
            secrets[key] = value
        elif isinstance(value, dict) and prop.get("properties"):
            pub, sec = split(prop, value)
            public[key] = pub
            if sec:
                secrets[key] = sec
        else:
            public[key] = value
    return public, secrets


def merge(public: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    merged = dict(public)
    for key, value in secrets.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def masked(public: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    """The config as the API shows it: every stored secret replaced by a mask."""
    return merge(public, _mask(secrets))


def _mask(secrets: dict[str, Any]) -> dict[str, Any]:
    return {k: _mask(v) if isinstance(v, dict) else MASK for k, v in secrets.items()}


def keep_unchanged(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A secret sent back as the mask (or left out of a nested object) keeps its stored value."""
    result = dict(new)
    for key, value in old.items():
        if key not in result or result[key] == MASK:
            result[key] = value
        elif isinstance(value, dict) and isinstance(result[key], dict):
            result[key] = keep_unchanged(result[key], value)
    return result


def seal(box: SecretBox, secrets: dict[str, Any]) -> str | None:
    return box.encrypt(json.dumps(secrets)) if secrets else None


def unseal(box: SecretBox, sealed: str | None) -> dict[str, Any]:
    if not sealed:
        return {}
    value: dict[str, Any] = json.loads(box.decrypt(sealed))
    return value
