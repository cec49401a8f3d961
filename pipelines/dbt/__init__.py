"""The dbt side of Dalgo: per-org projects from `bundled_dbt/`, the in-process runner, sources, import, lineage."""

from __future__ import annotations

from pipelines.dbt.profiles import BigQueryTarget, DuckDBTarget, PostgresTarget, WarehouseTarget, target_from_config
from pipelines.dbt.project import Model, ModelFile, OrgDbtProject
from pipelines.dbt.results import NodeResult, RunResult

__all__ = [
    "BigQueryTarget",
    "DuckDBTarget",
    "Model",
    "ModelFile",
    "NodeResult",
    "OrgDbtProject",
    "PostgresTarget",
    "RunResult",
    "WarehouseTarget",
    "target_from_config",
]
