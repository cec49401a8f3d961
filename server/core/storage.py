"""Per-org folders on disk and the one DuckDB connection per org warehouse file this process owns.

Who owns an org's `warehouse.duckdb` (DuckDB allows one writer process per file): this server process,
through the connection below, confined to the org's data folders. On a hosted server a dbt run needs the
file in a child process; `lend` closes this process's connection, makes new users of the org wait, and
hands the file over until the child is done. Other orgs never wait.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.core.config import Settings
from server.core.errors import Conflict

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

# Folders of an org that SQL written by its users may read and write. Never the dbt project itself (it
# holds code that runs: models, macros, profiles.yml), only its seeds: dbt-duckdb loads seed CSVs with SQL.
DATA_FOLDERS = ("uploads", "exports", "tmp", "dbt/seeds")


class WarehouseBusy(Conflict):
    """The org's DuckDB file is lent to a run in another process for longer than a request may wait."""


class OrgStorage:
    """<home>/orgs/<slug>/ holds warehouse.duckdb, uploads/, dbt/, exports/, logs/, tmp/."""

    def __init__(self, settings: Settings, *, max_open: int = 32, wait_seconds: float = 20.0) -> None:
        self.settings = settings
        self.max_open = max_open
        self.wait_seconds = wait_seconds
        self._connections: OrderedDict[str, DuckDBPyConnection] = OrderedDict()
        self._lent: set[str] = set()
        self._cond = threading.Condition()

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

    def data_folders(self, slug: str) -> list[Path]:
        """The only folders user SQL of this org may touch."""
        return [self.subdir(slug, name) for name in DATA_FOLDERS]

    def duckdb(self, slug: str) -> DuckDBPyConnection:
        """The process-wide, confined connection to the org's DuckDB file; waits while the file is lent."""
        with self._cond:
            if not self._cond.wait_for(lambda: slug not in self._lent, timeout=self.wait_seconds):
                raise WarehouseBusy(
                    "Your data is being rebuilt by a transform run right now; try again when it has finished."
                )
            con = self._connections.get(slug)
            if con is None:
                con = self._open(slug)
                self._connections[slug] = con
                self._evict()
            self._connections.move_to_end(slug)
            return con

    def drop_preview_cache(self, slug: str, cache: Any) -> None:
        """Free an evicted preview cache's tables if the org's connection is still open (else they are gone)."""
        with self._cond:
            con = self._connections.get(slug)
        if con is not None:
            cache.clear(con.cursor())

    def _open(self, slug: str) -> DuckDBPyConnection:
        from pipelines.duckdb_conn import connect

        return connect(
            self.warehouse_path(slug),
            extension_dir=self.extension_dir,
            memory_limit=self.settings.duckdb_memory_limit,
            confine_to=self.data_folders(slug),
        )

    def _evict(self) -> None:
        """Close the least recently used orgs' connections beyond `max_open` (cursors in use keep working)."""
        while len(self._connections) > self.max_open:
            _, con = self._connections.popitem(last=False)
            con.close()

    @contextmanager
    def lend(self, slug: str) -> Iterator[Path]:
        """Close this process's connection to the org's file and keep it closed while the caller runs.

        Cursors already handed out keep the file open until they are dropped; the borrower waits for the
        file lock itself (see `pipelines.dbt.isolated`).
        """
        with self._cond:
            self._cond.wait_for(lambda: slug not in self._lent)
            self._lent.add(slug)
            con = self._connections.pop(slug, None)
        if con is not None:
            con.close()
        try:
            yield self.warehouse_path(slug)
        finally:
            with self._cond:
                self._lent.discard(slug)
                self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            for con in self._connections.values():
                con.close()
            self._connections.clear()
