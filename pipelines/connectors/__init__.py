"""Connector registry. Modules are imported lazily so startup stays fast."""

from __future__ import annotations

import importlib
from typing import Any

from pipelines.connectors.base import Connector
from pipelines.errors import ConfigError

# type -> "module:Class". Each connector module documents the API version it follows.
REGISTRY: dict[str, str] = {
    "csv": "pipelines.connectors.files:CsvConnector",
    "excel": "pipelines.connectors.files:ExcelConnector",
    "json": "pipelines.connectors.files:JsonConnector",
    "parquet": "pipelines.connectors.files:ParquetConnector",
    "kobotoolbox": "pipelines.connectors.kobo:KoboConnector",
    "odk_central": "pipelines.connectors.odk:OdkCentralConnector",
    "commcare": "pipelines.connectors.commcare:CommCareConnector",
    "surveycto": "pipelines.connectors.surveycto:SurveyCtoConnector",
    "google_sheets": "pipelines.connectors.gsheets:GoogleSheetsConnector",
    "postgres": "pipelines.connectors.postgres:PostgresConnector",
    "rest_api": "pipelines.connectors.rest:RestApiConnector",
}


def get_connector(connector_type: str) -> Connector:
    """Instantiate the connector for `connector_type`, or raise ConfigError naming the known types."""
    target = REGISTRY.get(connector_type)
    if target is None:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError(f"Unknown connector type '{connector_type}'", hint=f"use one of: {known}")
    module_name, class_name = target.split(":")
    cls: Any = getattr(importlib.import_module(module_name), class_name)
    connector: Connector = cls()
    return connector


def available_types() -> list[str]:
    """Connector types whose module imports (all of them in a complete install)."""
    return list(REGISTRY)
