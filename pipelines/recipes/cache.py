"""Preview cache: step outputs kept as tables in an in-memory database attached to the warehouse
connection, so a preview after editing step k only runs the steps from k on.

Keys cover the input relation, a caller-given data version (e.g. the id of the last sync of the input),
the sample, the relations and every step up to k; the server clears the cache when data changes
under it without a new version."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from pipelines.recipes.core import ColumnType
from pipelines.recipes.model import Recipe

DATABASE = "dalgo_preview"


@dataclass
class CachedStep:
    """A step's whole output as a table; `warnings` is None when conversion checks were not run."""

    table: str
    columns: list[ColumnType]
    warnings: list[str] | None


def step_keys(
    recipe: Recipe,
    upto: int,
    *,
    input_relation: str,
    data_version: str,
    sample: int | float | None,
    relations: Mapping[str, str],
) -> list[str]:
    """keys[j] identifies the output of steps 1..j (keys[0] is the input itself)."""
    base = {"input": input_relation, "version": data_version, "sample": sample, "relations": sorted(relations.items())}
    keys, steps = [], []
    for j in range(upto + 1):
        if j:
            step = recipe.steps[j - 1]
            steps.append([step.op, step.config, step.enabled])
        text = json.dumps({**base, "steps": steps}, sort_keys=True, default=str)
        keys.append(hashlib.sha256(text.encode()).hexdigest())
    return keys


class PreviewCache:
    """LRU of materialised step outputs for one DuckDB database (share it between that database's connections)."""

    def __init__(self, *, max_entries: int = 6) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, CachedStep] = OrderedDict()
        self._lock = threading.Lock()

    def _attach(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {DATABASE}")

    def best(
        self, con: duckdb.DuckDBPyConnection, keys: list[str], *, need_warnings: bool
    ) -> tuple[int, CachedStep] | None:
        """The cached output of the latest step (largest j) among `keys`, if any."""
        with self._lock:
            for j in range(len(keys) - 1, 0, -1):
                entry = self._entries.get(keys[j])
                if entry is None or (need_warnings and entry.warnings is None):
                    continue
                try:
                    con.execute(f"SELECT 1 FROM {entry.table} LIMIT 0")
                except duckdb.Error:  # another database, or dropped: forget it
                    del self._entries[keys[j]]
                    continue
                self._entries.move_to_end(keys[j])
                return j, entry
        return None

    def store(
        self, con: duckdb.DuckDBPyConnection, key: str, sql: str, columns: list[ColumnType], warnings: list[str] | None
    ) -> CachedStep:
        """Materialise `sql` and remember it under `key`; evicts the least recently used entries."""
        self._attach(con)
        name = f"{DATABASE}.main.step_{secrets.token_hex(8)}"
        con.execute(f"CREATE TABLE {name} AS {sql}")
        entry = CachedStep(name, columns, warnings)
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self.max_entries:
                _, old = self._entries.popitem(last=False)
                con.execute(f"DROP TABLE IF EXISTS {old.table}")
        return entry

    def clear(self, con: duckdb.DuckDBPyConnection) -> None:
        """Forget everything (call after the input data changed)."""
        with self._lock:
            for entry in self._entries.values():
                con.execute(f"DROP TABLE IF EXISTS {entry.table}")
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
