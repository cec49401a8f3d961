"""YAML in and out for dbt files (PyYAML comes with dbt-core; its stubs are not installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]


def load_yaml(text: str) -> Any:
    """Parse YAML text (safe loader)."""
    return yaml.safe_load(text)


def load_yaml_file(path: Path) -> Any:
    """Parse a YAML file; `None` for an empty one."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dump_yaml(doc: Any) -> str:
    """Block-style YAML keeping key order and non-ASCII text."""
    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120))


YAMLError = yaml.YAMLError
