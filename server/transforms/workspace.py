"""Each org's dbt project and its warm runner, kept for the life of the server process."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
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
    """org slug → Workspace (the most recently used `max_items`); creating one copies the template and
    writes profiles.yml. On a hosted server each dbt command runs in a child process (`IsolatedDbtRunner`)."""

    def __init__(self, storage: OrgStorage, *, max_items: int = 64) -> None:
        self.storage = storage
        self.max_items = max_items
        self._items: OrderedDict[str, Workspace] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slug: str, kind: str = "duckdb", config: dict[str, Any] | None = None) -> Workspace:
        with self._lock:
            target = self._target(slug, kind, config or {})
            current = self._items.get(slug)
            if current is not None and current.runner.target == target:
                self._items.move_to_end(slug)
                return current
            project = OrgDbtProject(self.storage.subdir(slug, "dbt"))
            project.ensure(bundled_dbt_dir(), target)
            dialect = cast(Literal["duckdb", "postgres", "bigquery"], kind)
            workspace = Workspace(project, self._runner(slug, project.path, target), dialect)
            self._items[slug] = workspace
            self._items.move_to_end(slug)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)  # a runner holds no connection: dropping it frees its manifest
            return workspace

    def _runner(self, slug: str, project_dir: Path, target: WarehouseTarget) -> Any:
        if self.storage.settings.dbt_isolated:
            from pipelines.dbt.isolated import IsolatedDbtRunner

            return IsolatedDbtRunner(project_dir, target, lend=lambda: self.storage.lend(slug))
        from pipelines.dbt.runner import DbtRunner

        return DbtRunner(project_dir, target)

    def _target(self, slug: str, kind: str, config: dict[str, Any]) -> WarehouseTarget:
        if kind == "duckdb":
            return DuckDBTarget(
                self.storage.warehouse_path(slug),
                self.storage.extension_dir,
                data_folders=tuple(self.storage.data_folders(slug)),
                memory_limit=self.storage.settings.duckdb_memory_limit,
            )
        return target_from_config(kind, config)
