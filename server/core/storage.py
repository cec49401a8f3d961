"""Per-org folders on disk and the one DuckDB connection per org warehouse file this process owns."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from server.core.config import Settings

if TYPE_CHECKING:
    import duckdb


class OrgStorage:
    """<home>/orgs/<slug>/ holds warehouse.duckdb, uploads/, dbt/, exports/, logs/."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connections: dict[str, duckdb.DuckDBPyConnection] = {}
        self._lock = threading.Lock()

    def org_dir(self, slug: str) -> Path:
        path = self.settings.home / "orgs" / slug
        path.mkdir(parents=True, exist_ok=True)
        return path

    def subdir(self, slug: str, name: str) -> Path:
        path = self.org_dir(slug) / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def extension_dir(self) -> Path:
        return self.settings.home / "duckdb_extensions"

    def warehouse_path(self, slug: str) -> Path:
        return self.org_dir(slug) / "warehouse.duckdb"

    def duckdb(self, slug: str) -> duckdb.DuckDBPyConnection:
        """The process-wide connection to the org's DuckDB file (one writer process per file)."""
        with self._lock:
            con = self._connections.get(slug)
            if con is None:
                from pipelines.duckdb_conn import connect

                con = connect(
                    self.warehouse_path(slug),
                    extension_dir=self.extension_dir,
                    memory_limit=self.settings.duckdb_memory_limit,
                )
                self._connections[slug] = con
            return con

    def close(self) -> None:
        with self._lock:
            for con in self._connections.values():
                con.close()
            self._connections.clear()
