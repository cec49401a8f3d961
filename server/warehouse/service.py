"""The org's warehouse as the Data explorer sees it: the local DuckDB file unless the org chose another."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from pipelines.errors import PipelineError
from pipelines.netpolicy import NetworkPolicy
from pipelines.warehouse import Filter, SortKey, WarehouseClient, open_warehouse
from pipelines.warehouse.base import ExportFormat
from server.core.deps import OrgContext
from server.core.security import SecretBox
from server.core.storage import OrgStorage
from server.models import OrgWarehouse
from server.sources import secrets
from server.warehouse.errors import BadWarehouseRequest
from server.warehouse.repository import WarehouseRepository

WAREHOUSE_SPECS: dict[str, dict[str, Any]] = {
    "duckdb": {"type": "object", "properties": {}},
    "postgres": {
        "type": "object",
        "required": ["host", "dbname", "user"],
        "properties": {
            "host": {"type": "string"},
            "port": {"type": "integer", "default": 5432},
            "dbname": {"type": "string"},
            "user": {"type": "string"},
            "password": {"type": "string", "writeOnly": True, "format": "password"},
            "sslmode": {"type": "string", "default": "prefer"},
        },
    },
    "bigquery": {
        "type": "object",
        "required": ["project"],
        "properties": {
            "project": {"type": "string"},
            "location": {"type": "string"},
            "api_endpoint": {"type": "string", "description": "only for emulators and private endpoints"},
            "credentials_json": {"type": "string", "writeOnly": True, "format": "password"},
        },
    },
}
EXPORT_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def parse_sort(sort: str | None) -> list[SortKey]:
    """`district,-age` → district ascending, then age descending."""
    keys = []
    for part in (sort or "").split(","):
        part = part.strip()
        if part:
            keys.append(SortKey(part.lstrip("-+"), descending=part.startswith("-")))
    return keys


def parse_filters(raw: str | None) -> list[Filter]:
    """`[{"column": "age", "op": "gt", "value": 5}, ...]` as a JSON query parameter."""
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as err:
        raise BadWarehouseRequest(f"The filters parameter is not valid JSON ({err.msg}).") from err
    if not isinstance(items, list) or not all(isinstance(i, dict) and "column" in i and "op" in i for i in items):
        raise BadWarehouseRequest('Filters must be a JSON list like [{"column": "age", "op": "gt", "value": 5}].')
    return [Filter(i["column"], i["op"], i.get("value")) for i in items]


class WarehouseService:
    def __init__(
        self, session: Session, storage: OrgStorage, box: SecretBox, network: NetworkPolicy | None = None
    ) -> None:
        self.session = session
        self.storage = storage
        self.box = box
        self.network = network or NetworkPolicy(allow_private=False)  # strict unless the caller says otherwise

    def settings_row(self, ctx: OrgContext) -> OrgWarehouse | None:
        return WarehouseRepository(self.session).settings(ctx.org_id)

    def describe(self, ctx: OrgContext) -> dict[str, Any]:
        row = self.settings_row(ctx)
        # A hosted server does not tell where its files are; the desktop shows the file the user can back up.
        path = self.storage.warehouse_path(ctx.org.slug)
        local = {"kind": "duckdb", "path": str(path) if self.storage.settings.mode == "embedded" else path.name}
        if row is None or row.kind == "duckdb":
            return {"kind": "duckdb", "config": {"path": local["path"]}, "local": local}
        config = secrets.masked(row.config, secrets.unseal(self.box, row.secrets))
        return {"kind": row.kind, "config": config, "local": local}

    def configure(self, ctx: OrgContext, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        if kind not in WAREHOUSE_SPECS:
            raise BadWarehouseRequest(f"Unknown warehouse kind '{kind}'; use duckdb, postgres or bigquery.")
        row = self.settings_row(ctx) or OrgWarehouse(org_id=ctx.org_id)
        old = secrets.merge(row.config or {}, secrets.unseal(self.box, row.secrets)) if row.kind == kind else {}
        merged = secrets.keep_unchanged(config, old)
        self._check_address(kind, merged)
        public, secret = secrets.split(WAREHOUSE_SPECS[kind], merged)
        row.kind, row.config, row.secrets = kind, public, secrets.seal(self.box, secret)
        self.session.add(row)
        self.session.flush()
        with self.client(ctx) as client:
            client.list_schemas()  # fail now, with the warehouse's own words, rather than on first use
        return self.describe(ctx)

    def _check_address(self, kind: str, config: dict[str, Any]) -> None:
        """A hosted org must not point its warehouse at the server's own or private services (e.g. its app DB)."""
        if kind == "postgres":
            host, port, service = str(config.get("host") or ""), config.get("port") or 5432, "Postgres"
        elif kind == "bigquery" and config.get("api_endpoint"):
            url = urlsplit(str(config["api_endpoint"]))
            host, port, service = url.hostname or "", url.port, "BigQuery endpoint"
        else:
            return
        try:
            self.network.check_host(host, int(port) if port else None, service=service)
        except (PipelineError, ValueError) as err:
            raise BadWarehouseRequest(str(err)) from err

    @contextmanager
    def client(self, ctx: OrgContext, which: str = "primary") -> Iterator[WarehouseClient]:
        """The org's primary warehouse, or (`which="local"`) the DuckDB file sources load into."""
        row = self.settings_row(ctx)
        if row is None or row.kind == "duckdb" or which == "local":
            client = open_warehouse("duckdb", {}, connection=self.storage.duckdb(ctx.org.slug).cursor())
        else:
            client = open_warehouse(row.kind, secrets.merge(row.config, secrets.unseal(self.box, row.secrets)))
        try:
            yield client
        finally:
            client.close()

    def export(
        self,
        ctx: OrgContext,
        schema: str,
        table: str,
        fmt: str,
        sort: list[SortKey],
        filters: list[Filter],
        which: str = "primary",
        system_columns: bool = False,
    ) -> Path:
        if fmt not in EXPORT_TYPES:
            raise BadWarehouseRequest(f"Unknown export format '{fmt}'; use csv, xlsx or parquet.")
        folder = self.storage.subdir(ctx.org.slug, "exports") / uuid.uuid4().hex
        folder.mkdir()
        dest = folder / f"{table}.{fmt}"
        with self.client(ctx, which) as client:
            return client.export(
                schema,
                table,
                fmt=cast(ExportFormat, fmt),
                dest=dest,
                filters=filters,
                sort=sort,
                system_columns=system_columns,
            )


def plain(value: Any) -> Any:
    """Dataclasses and rows → JSON-friendly values (dates as ISO strings, bytes as hex)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
