"""The Data page: the org's warehouse as schemas → tables → columns, and the table open in the grid."""

from __future__ import annotations

from desktop.client.data_models import ColumnInfo, TableInfo
from desktop.client.errors import Forbidden
from desktop.client.models import Membership, Page
from desktop.state import access
from desktop.state.events import Event
from desktop.state.grid import GridModel
from desktop.state.session import AppState


class DataModel:
    """Tables of the active org's warehouse (row counts included), columns fetched when a table is expanded."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.tables: list[TableInfo] = []
        self.columns: dict[tuple[str, str], list[ColumnInfo]] = {}
        self.loading = False
        self.loaded = False
        self.forbidden = False
        self.active = False
        self.grid = GridModel(app)
        self.changed = Event()  # () — the table list
        self.columns_loaded = Event()  # (schema, table)
        self._generation = 0
        app.org_changed.connect(self._org_changed)

    @property
    def can_read(self) -> bool:
        return access.may(self.app.org, "warehouse:read") and not self.forbidden

    @property
    def can_export(self) -> bool:
        return access.may(self.app.org, "warehouse:export")

    def schemas(self) -> dict[str, list[TableInfo]]:
        """Tables by schema, both in name order (raw_* schemas are a source's, analytics the transforms')."""
        grouped: dict[str, list[TableInfo]] = {}
        for table in sorted(self.tables, key=lambda t: (t.schema_name, t.name)):
            grouped.setdefault(table.schema_name, []).append(table)
        return grouped

    def _org_changed(self, membership: Membership | None) -> None:
        self._generation += 1
        self.tables, self.columns, self.forbidden, self.loaded = [], {}, False, False
        self.grid.close()
        self.changed.emit()
        if self.active and membership is not None:
            self.load()

    def load(self) -> None:
        """GET /warehouse/tables for the active org."""
        self.active = True
        if self.app.client is None or self.app.org is None or not access.may(self.app.org, "warehouse:read"):
            self.changed.emit()
            return
        client, slug, generation = self.app.client, self.app.org.org.slug, self._generation

        def done(page: Page[TableInfo]) -> None:
            if generation == self._generation:
                self.tables, self.columns = list(page.items), {}
                self.loading, self.loaded = False, True
                self.changed.emit()

        def failed(err: BaseException) -> None:
            self.loading = False
            if isinstance(err, Forbidden):
                self.forbidden = True
            else:
                self.app.handle_error(err)
            self.changed.emit()

        self.loading = True
        self.changed.emit()
        self.app.submit(lambda: client.list_tables(org=slug), done, failed)

    def load_columns(self, schema: str, table: str) -> None:
        """Columns of one table (name, type, original name), once per table until the list reloads."""
        if (schema, table) in self.columns or self.app.client is None or self.app.org is None:
            return
        client, slug, generation = self.app.client, self.app.org.org.slug, self._generation

        def done(page: Page[ColumnInfo]) -> None:
            if generation == self._generation:
                self.columns[(schema, table)] = list(page.items)
                self.columns_loaded.emit(schema, table)

        self.app.submit(lambda: client.list_columns(schema, table, org=slug), done)

    def open(self, schema: str, table: str) -> None:
        self.grid.open(schema, table)
