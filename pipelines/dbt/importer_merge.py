"""Merge an imported project's `dbt_project.yml` into the org's.

The imported resources live in `<kind>/<its name>/`, so its folder-keyed configs are nested under that
folder. The org project takes the imported name while it still has the template's name, so two-argument
`ref()`s and `adapter.dispatch(..., '<its name>')` keep working.
"""

from __future__ import annotations

import copy
from typing import Any

TEMPLATE_PROJECT_NAME = "dalgo_org"
CONFIG_SECTIONS = ("models", "seeds", "snapshots", "data_tests", "tests", "sources", "unit_tests")
HOOKS = ("on-run-start", "on-run-end")
KEEP_IF_UNSET = ("quoting", "query-comment")
IGNORED = {  # ours wins: the org's paths, profile and version stay
    "name", "version", "config-version", "profile", "model-paths", "macro-paths", "seed-paths", "test-paths",
    "snapshot-paths", "analysis-paths", "docs-paths", "asset-paths", "target-path", "log-path", "clean-targets",
    "packages-install-path", "vars", "dispatch", "flags", "require-dbt-version", *CONFIG_SECTIONS, *HOOKS,
    *KEEP_IF_UNSET,
}  # fmt: skip


def merge_project_yml(
    ours: dict[str, Any], theirs: dict[str, Any], their_name: str
) -> tuple[dict[str, Any], list[str]]:
    """The org's dbt_project.yml with the imported one's configs, vars, hooks and dispatch merged in."""
    merged = copy.deepcopy(ours)
    notes: list[str] = []
    adopt = merged.get("name") == TEMPLATE_PROJECT_NAME
    if adopt:
        _rename_project(merged, TEMPLATE_PROJECT_NAME, their_name)
    root = str(merged.get("name"))
    for section in CONFIG_SECTIONS:
        _merge_section(merged, theirs.get(section), section, root, their_name)
    _merge_vars(merged, theirs.get("vars"), their_name, root, notes)
    for hook in HOOKS:
        extra = _as_list(theirs.get(hook))
        if extra:
            merged[hook] = _as_list(merged.get(hook)) + extra
    if theirs.get("dispatch"):
        merged["dispatch"] = list(merged.get("dispatch") or []) + list(theirs["dispatch"])
    for key in KEEP_IF_UNSET:
        if key in theirs and key not in merged:
            merged[key] = copy.deepcopy(theirs[key])
    merged["flags"] = {**(theirs.get("flags") or {}), **(merged.get("flags") or {})}
    if not adopt:
        notes.append(
            f"The org's project keeps its name '{root}': references to '{their_name}' "
            f"(ref('{their_name}', ...), dispatch namespaces) must be changed to '{root}'"
        )
    ignored = sorted(k for k in theirs if k not in IGNORED)
    if ignored:
        notes.append(f"Settings not imported: {', '.join(ignored)}")
    if theirs.get("require-dbt-version"):
        notes.append(f"The project asks for dbt {theirs['require-dbt-version']}; Dalgo runs dbt 1.11")
    return merged, notes


def _rename_project(doc: dict[str, Any], old: str, new: str) -> None:
    doc["name"] = new
    for section in CONFIG_SECTIONS:
        block = doc.get(section)
        if isinstance(block, dict) and old in block:
            block[new] = block.pop(old)
    variables = doc.get("vars")
    if isinstance(variables, dict) and isinstance(variables.get(old), dict):
        variables[new] = variables.pop(old)


def _merge_section(merged: dict[str, Any], block: Any, section: str, root: str, their_name: str) -> None:
    """Their configs for their own resources go under `<root>.<their folder>`; package configs are kept."""
    if not isinstance(block, dict) or not block:
        return
    target = merged.setdefault(section, {}) or {}
    merged[section] = target
    own = dict(block.get(their_name) or {})
    # `+config` keys at the top of the section would apply to every resource, the org's included.
    own = {**{k: v for k, v in block.items() if k.startswith("+")}, **own}
    for key, value in block.items():
        if key != their_name and not key.startswith("+"):
            target.setdefault(key, copy.deepcopy(value))
    if own:
        root_block = target.setdefault(root, {}) or {}
        target[root] = root_block
        root_block[their_name] = copy.deepcopy(own)


def _merge_vars(merged: dict[str, Any], block: Any, their_name: str, root: str, notes: list[str]) -> None:
    if not isinstance(block, dict):
        return
    variables = merged.setdefault("vars", {}) or {}
    merged["vars"] = variables
    flat = {k: v for k, v in block.items() if k != their_name}
    scoped = block.get(their_name)
    if isinstance(scoped, dict):
        if root == their_name:
            variables.setdefault(root, {}).update({k: v for k, v in scoped.items() if k not in variables[root]})
        else:
            flat |= scoped
    for key, value in flat.items():
        if key in variables and variables[key] != value:
            notes.append(f"Kept the org's value of var '{key}' ({variables[key]!r}, not {value!r})")
            continue
        variables[key] = copy.deepcopy(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
