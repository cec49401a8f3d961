"""One warehouse table in the grid: server-side paging, sorting and filters, a column profile, and exports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.client import DalgoClient
from desktop.client.data_api import TransferCancelled
from desktop.client.data_models import ColumnProfile, ResultColumn, RowsPage
from desktop.state import words
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.session import AppState
from desktop.state.transfer import Transfer, human_bytes

PAGE_SIZES = (50, 100, 250, 500, 1000)
SYSTEM_PREFIX = "_dalgo_"  # columns Dalgo adds when it loads a table (when, which batch)
EXPORT_FORMATS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "parquet": "Parquet"}
# (operator, words); the words make the chip read as a sentence: "age ≥ 18", "district is one of north, east"
OPERATORS = (
    ("eq", "="),
    ("ne", "≠"),
    ("lt", "<"),
    ("le", "≤"),
    ("gt", ">"),
    ("ge", "≥"),
    ("contains", "contains"),
    ("starts_with", "starts with"),
    ("in", "is one of"),
    ("between", "between"),
    ("is_null", "is empty"),
    ("not_null", "is not empty"),
)
OP_WORDS = dict(OPERATORS)
NO_VALUE = ("is_null", "not_null")


@dataclass(frozen=True)
class FilterSpec:
    column: str
    op: str
    value: Any = None

    def label(self) -> str:
        value = self.value
        if self.op in NO_VALUE:
            return f"{self.column} {OP_WORDS[self.op]}"
        if self.op == "between":
            return f"{self.column} between {value[0]} and {value[1]}"
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return f"{self.column} {OP_WORDS[self.op]} {value}"

    def param(self) -> dict[str, Any]:
        return {"column": self.column, "op": self.op, "value": self.value}


def is_system(column: str) -> bool:
    """A column Dalgo added while loading, not one from the source: hidden unless asked for."""
    return column.startswith(SYSTEM_PREFIX)


def shown_columns(names: list[str], show_system: bool) -> list[str]:
    return [n for n in names if show_system or not is_system(n)]


def parse_filter(column: str, op: str, text: str) -> FilterSpec | str:
    """A FilterSpec from what was typed, or a sentence saying what is missing."""
    text = text.strip()
    if not column:
        return "Pick a column to filter on."
    if op in NO_VALUE:
        return FilterSpec(column, op)
    if not text:
        return f"Type a value to compare {column} with."
    if op == "in":
        return FilterSpec(column, op, [v.strip() for v in text.split(",") if v.strip()])
    if op == "between":
        parts = [p.strip() for p in text.replace(" and ", ",").split(",") if p.strip()]
        if len(parts) != 2:
            return "Between needs two values: low, high (e.g. 10, 20)."
        return FilterSpec(column, op, parts)
    return FilterSpec(column, op, text)


class GridModel:
    """The open table: a page of rows, the total, sort (asc → desc → none), filters, profile, export."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.schema = self.table = ""
        self.columns: list[ResultColumn] = []
        self.rows: list[list[Any]] = []
        self.total = 0
        self.offset = 0
        self.page_size = 100
        self.sort: tuple[str, bool] | None = None  # (column, descending)
        self.filters: list[FilterSpec] = []
        self.loading = False
        self.profile: ColumnProfile | None = None
        self.profile_column: str | None = None
        self.export: Transfer | None = None
        self.show_system = False  # Dalgo's own _dalgo_* columns: hidden in the grid, filters and downloads
        self.changed = Event()  # () — rows, sort, filters or paging
        self.profile_changed = Event()  # ()
        self.exported = Event()  # (Path)
        self._page_request = 0
        self._profile_request = 0

    @property
    def is_open(self) -> bool:
        return bool(self.table)

    @property
    def sort_param(self) -> str | None:
        if self.sort is None:
            return None
        column, descending = self.sort
        return f"-{column}" if descending else column

    def filter_params(self) -> list[dict[str, Any]]:
        return [f.param() for f in self.filters]

    def page_text(self) -> str:
        if not self.total:
            return "No rows" + (" match the filters" if self.filters else "")
        last = min(self.offset + len(self.rows), self.total)
        return f"Rows {self.offset + 1:,} to {last:,} of {self.total:,}"

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.page_size < self.total

    def _client(self) -> tuple[DalgoClient, str]:
        if self.app.client is None or self.app.org is None:
            raise RuntimeError("no active organisation")
        return self.app.client, self.app.org.org.slug

    # --- rows -------------------------------------------------------------------------------------
    def open(self, schema: str, table: str) -> None:
        """Show another table from its first page, unsorted and unfiltered."""
        self.schema, self.table = schema, table
        self.columns, self.rows, self.total, self.offset = [], [], 0, 0
        self.sort, self.filters = None, []
        self.profile, self.profile_column = None, None
        self.profile_changed.emit()
        self.reload()

    def close(self) -> None:
        self.schema = self.table = ""
        self.columns, self.rows, self.total, self.filters, self.sort = [], [], 0, [], None
        self.profile, self.profile_column = None, None
        self._page_request += 1
        self.changed.emit()
        self.profile_changed.emit()

    def reload(self) -> None:
        """Fetch the current page; an answer to an older request (fast clicking) is dropped."""
        if not self.is_open:
            return
        client, slug = self._client()
        self._page_request += 1
        request, schema, table = self._page_request, self.schema, self.table
        limit, offset, sort, filters = self.page_size, self.offset, self.sort_param, self.filter_params()

        def work() -> RowsPage:
            return client.get_rows(schema, table, limit=limit, offset=offset, sort=sort, filters=filters, org=slug)

        def done(page: RowsPage) -> None:
            if request == self._page_request:
                self.columns, self.rows, self.total, self.loading = page.columns, page.rows, page.total, False
                self.changed.emit()

        def failed(err: BaseException) -> None:
            if request == self._page_request:
                self.loading = False
                self.changed.emit()
            self.app.handle_error(err)

        self.loading = True
        self.changed.emit()
        self.app.submit(work, done, failed)

    def next_page(self) -> None:
        if self.has_next:
            self.offset += self.page_size
            self.reload()

    def previous_page(self) -> None:
        if self.has_previous:
            self.offset = max(0, self.offset - self.page_size)
            self.reload()

    def set_page_size(self, size: int) -> None:
        if size != self.page_size:
            self.page_size, self.offset = size, 0
            self.reload()

    def sort_by(self, column: str) -> None:
        """A click on a header: ascending, then descending, then back to the table's own order."""
        if self.sort is None or self.sort[0] != column:
            self.sort = (column, False)
        elif not self.sort[1]:
            self.sort = (column, True)
        else:
            self.sort = None
        self.offset = 0
        self.reload()

    def add_filter(self, column: str, op: str, text: str) -> bool:
        parsed = parse_filter(column, op, text)
        if isinstance(parsed, str):
            self.app.banner.show(parsed, Level.error)
            return False
        self.filters.append(parsed)
        self.offset = 0
        self.reload()
        return True

    def remove_filter(self, index: int) -> None:
        if 0 <= index < len(self.filters):
            del self.filters[index]
            self.offset = 0
            self.reload()

    def clear_filters(self) -> None:
        if self.filters:
            self.filters, self.offset = [], 0
            self.reload()

    # --- profile ----------------------------------------------------------------------------------
    def load_profile(self, column: str) -> None:
        """Type, nulls, distinct, range, top values and histogram of one column (whole table)."""
        if not self.is_open or (column == self.profile_column and self.profile is not None):
            return
        client, slug = self._client()
        self._profile_request += 1
        request, schema, table = self._profile_request, self.schema, self.table
        self.profile_column, self.profile = column, None
        self.profile_changed.emit()

        def done(profile: ColumnProfile) -> None:
            if request == self._profile_request:
                self.profile = profile
                self.profile_changed.emit()

        self.app.submit(lambda: client.profile_column(schema, table, column, org=slug), done)

    # --- export -----------------------------------------------------------------------------------
    def start_export(self, fmt: str, dest: Path, then: Callable[[Path], None] | None = None) -> Transfer | None:
        """Download the table, with the current filters and sort, to `dest` in the background."""
        if not self.is_open:
            return None
        if self.export is not None and not self.export.finished:
            self.app.banner.show("A download is already running; wait for it or cancel it.", Level.warning)
            return None
        client, slug = self._client()
        transfer = Transfer(f"Downloading {self.table}.{fmt}")
        schema, table, sort, filters = self.schema, self.table, self.sort_param, self.filter_params()
        system = self.show_system
        self.export = transfer

        def work() -> Path:
            return client.export_table(
                schema, table, fmt, Path(dest), sort=sort, filters=filters,
                progress=transfer.report, cancelled=transfer.cancelled, org=slug, system_columns=system,
            )  # fmt: skip

        def done(path: Path) -> None:
            transfer.finished = True
            size = human_bytes(path.stat().st_size)
            what = words.plural(len(filters), "filter") if filters else "all rows"
            self.app.banner.show(f"Saved {table} ({what}, {size}) to {path}.", Level.success)
            self.exported.emit(path)
            if then:
                then(path)

        def failed(err: BaseException) -> None:
            transfer.finished = True
            if isinstance(err, TransferCancelled):
                self.app.banner.show("Download cancelled; nothing was saved.", Level.info)
            else:
                self.app.handle_error(err)

        self.app.submit(work, done, failed)
        return transfer
