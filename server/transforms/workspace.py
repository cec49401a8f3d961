"""Each org's dbt project and its warm runner, kept for the life of the server process."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from pipelines.dbt import DuckDBTarget, OrgDbtProject, WarehouseTarget, target_from_config
from server.core.storage import OrgStorage


def bundled_dbt_dir() -> Path:
    """The template project: next to the packages in a checkout, inside the bundle when frozen."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent.parent))
    return base / "bundled_dbt"


@dataclass
class Workspace:
    project: OrgDbtProject
    runner: Any  # pipelines.dbt.runner.DbtRunner (imported lazily: dbt costs seconds to import)
    dialect: Literal["duckdb", "postgres", "bigquery"]


class Workspaces:
    """org slug → Workspace; creating one copies the template and writes profiles.yml."""

    def __init__(self, storage: OrgStorage) -> None:
        self.storage = storage
        self._items: dict[str, Workspace] = {}
        self._lock = threading.Lock()

    def get(self, slug: str, kind: str = "duckdb", config: dict[str, Any] | None = None) -> Workspace:
        with self._lock:
            target = self._target(slug, kind, config or {})
            current = self._items.get(slug)
            if current is not None and current.runner.target == target:
                return current
            from pipelines.dbt.runner import DbtRunner

            project = OrgDbtProject(self.storage.subdir(slug, "dbt"))
            project.ensure(bundled_dbt_dir(), target)
            dialect = cast(Literal["duckdb", "postgres", "bigquery"], kind)
            workspace = Workspace(project, DbtRunner(project.path, target), dialect)
            self._items[slug] = workspace
            return workspace

    def _target(self, slug: str, kind: str, config: dict[str, Any]) -> WarehouseTarget:
        if kind == "duckdb":
            return DuckDBTarget(
                self.storage.warehouse_path(slug),
                self.storage.extension_dir,
                data_folders=tuple(self.storage.data_folders(slug)),
                memory_limit=self.storage.settings.duckdb_memory_limit,
            )
        return target_from_config(kind, config)
