"""JSON records → Arrow tables: nested objects flattened to columns, arrays of objects to child tables.

Shared by every API connector and the JSON file connector. Child tables are named
`<table>__<array key>` and linked by `_dalgo_parent_id` (the parent's key) and `_dalgo_index`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from pipelines.naming import normalise_identifier

PARENT_ID = "_dalgo_parent_id"
INDEX = "_dalgo_index"
ROW_ID = "_dalgo_row_id"


def flatten_record(
    record: dict[str, Any],
    *,
    sep: str = "__",
    split_lists: bool = True,
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Return (flat columns, {array key: list of child objects}) for one record."""
    flat: dict[str, Any] = {}
    children: dict[str, list[dict[str, Any]]] = {}
    _walk(record, "", flat, children, sep, split_lists)
    return flat, children


def _walk(
    value: dict[str, Any],
    prefix: str,
    flat: dict[str, Any],
    children: dict[str, list[dict[str, Any]]],
    sep: str,
    split_lists: bool,
) -> None:
    for key, item in value.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(item, dict):
            _walk(item, name, flat, children, sep, split_lists)
        elif isinstance(item, list) and item and all(isinstance(x, dict) for x in item):
            children[name] = item
        elif isinstance(item, list):
            flat[name] = [None if x is None else str(x) for x in item] if split_lists else json.dumps(item)
        else:
            flat[name] = item


def records_to_tables(
    table_name: str,
    records: Iterable[dict[str, Any]],
    *,
    key_field: str | None = None,
    sep: str = "__",
) -> dict[str, list[dict[str, Any]]]:
    """Split records into rows per table: {table_name: [...], f"{table_name}__{child}": [...], ...}.

    Nested children recurse (a repeat inside a repeat becomes `t__a__b`). The child's parent id is
    the parent's `key_field` value when given, else a synthetic `_dalgo_row_id` stamped on the parent.
    """
    out: dict[str, list[dict[str, Any]]] = {table_name: []}
    for position, record in enumerate(records):
        _emit(table_name, record, out, key_field, sep, f"{table_name}:{position}")
    return out


def _emit(
    table: str,
    record: dict[str, Any],
    out: dict[str, list[dict[str, Any]]],
    key_field: str | None,
    sep: str,
    row_id: str,
) -> None:
    flat, children = flatten_record(record, sep=sep)
    parent_id = flat.get(key_field) if key_field else None
    if children and parent_id is None:
        parent_id = flat.setdefault(ROW_ID, row_id)
    out.setdefault(table, []).append(flat)
    for child_key, items in children.items():
        child_table = f"{table}__{normalise_identifier(child_key.split('/')[-1])}"
        for index, item in enumerate(items):
            child = dict(item)
            child[PARENT_ID] = None if parent_id is None else str(parent_id)
            child[INDEX] = index
            _emit(child_table, child, out, None, sep, f"{parent_id}/{child_key}[{index}]")


def rows_to_arrow(rows: list[dict[str, Any]], column_names: dict[str, str] | None = None) -> pa.Table:
    """Rows → Arrow table with normalised column names; values of mixed types become strings.

    `column_names` maps raw → normalised names and is filled in (so callers keep the original names).
    """
    mapping = column_names if column_names is not None else {}
    raw_cols: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                raw_cols.append(key)
    used = set(mapping.values())
    for raw in raw_cols:
        if raw not in mapping:
            name = normalise_identifier(raw.replace("/", "_"))
            base, n = name, 1
            while name in used:
                n += 1
                name = f"{base}_{n}"
            mapping[raw] = name
            used.add(name)
    arrays = {mapping[raw]: _column_array([row.get(raw) for row in rows]) for raw in raw_cols}
    return pa.table(arrays) if arrays else pa.table({})


def _column_array(values: list[Any]) -> pa.Array:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:  # all empty on this page: text, so the column keeps one type across pages
        return pa.array(values, type=pa.string())
    if kinds <= {bool}:
        return pa.array(values, type=pa.bool_())
    if kinds <= {int}:
        try:
            return pa.array(values, type=pa.int64())
        except (OverflowError, pa.ArrowInvalid):
            pass
    if kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if kinds <= {list}:
        return pa.array(values, type=pa.list_(pa.string()))
    return pa.array(
        [
            None
            if v is None
            else (v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v))
            for v in values
        ],
        type=pa.string(),
    )
