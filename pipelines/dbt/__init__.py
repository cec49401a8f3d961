"""The dbt side of Dalgo: per-org projects from `bundled_dbt/`, the in-process runner, sources, import, lineage.

Typical use (the server keeps one `DbtRunner` per org project in its worker):

- `target = DuckDBTarget(org_dir / "warehouse.duckdb", extension_dir)`, or `target_from_config(kind, config)`
- `project = OrgDbtProject(org_dir / "dbt")`; `project.ensure(bundled_dbt_dir, target)`
- after each sync: `sync_sources_yml(project, raw_tables_from_duckdb(con))`
- saving a recipe: `project.write_model(files.name, files.sql, files.schema_yml, replace=True)`
- `DbtRunner(project.path, target).run(["my_model+"], cancel_event=event, progress=on_node).to_dict()`
- `runner.lineage()` → `pipelines.dbt.lineage.LineageGraph`
"""

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
