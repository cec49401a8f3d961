"""Data versions of warehouse tables, from the job history: what a chart's cached data is keyed on.

A raw table (`raw_<source>`) changes when its source syncs; a cleaned table (dbt model) changes when a
dbt run builds it, and (views) when any raw table upstream of it changes: the dbt lineage of the last
parse (target/manifest.json) says which ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.tenancy import scoped
from server.models import Job, Source, TaskRun

DBT_KINDS = ("dbt_run", "dbt_build")
RAW_PREFIX = "raw_"


class DataVersions:
    """Versions of one org's tables; each query result is kept for the life of the object (one request)."""

    def __init__(self, session: Session, org_id: str, dbt_dir: Path) -> None:
        self.session, self.org_id, self.dbt_dir = session, org_id, dbt_dir
        self._memo: dict[tuple[str, str], str] = {}

    def of(self, schema: str, table: str) -> str:
        """A string that changes whenever the table's data may have changed."""
        key = (schema, table)
        if key not in self._memo:
            self._memo[key] = self._raw(schema) if schema.startswith(RAW_PREFIX) else self._model(table)
        return self._memo[key]

    def _raw(self, schema: str) -> str:
        source = self.session.scalars(
            scoped(select(Source), Source, self.org_id).where(Source.slug == schema[len(RAW_PREFIX) :])
        ).first()
        if source is None:
            return self._latest_job(("source_sync",), None)
        return f"{self._latest_job(('source_sync',), source.id)}|{self._latest_task('sync', source.id)}"

    def _model(self, table: str) -> str:
        built = self._latest_dbt(table)
        upstream = sorted({self._raw(s) for s in self._upstream_schemas(table)})
        return "|".join([built, *upstream])

    def _latest_job(self, kinds: tuple[str, ...], target_id: str | None) -> str:
        stmt = scoped(select(Job.finished_at), Job, self.org_id).where(Job.kind.in_(kinds), Job.status == "succeeded")
        if target_id is not None:
            stmt = stmt.where(Job.target_id == target_id)
        latest = self.session.scalar(stmt.order_by(Job.finished_at.desc()).limit(1))
        return latest.isoformat() if latest else ""

    def _latest_dbt(self, model: str) -> str:
        """The newest succeeded dbt job that built `model` (or, with no per-model results, any dbt job)."""
        stmt = (
            scoped(select(Job), Job, self.org_id)
            .where(Job.kind.in_(DBT_KINDS), Job.status == "succeeded")
            .order_by(Job.finished_at.desc())
            .limit(50)
        )
        for job in self.session.scalars(stmt):
            nodes = (job.result or {}).get("nodes")
            if not nodes or any(n.get("name") == model for n in nodes):
                return job.finished_at.isoformat() if job.finished_at else job.id
        return self._latest_task("transform", None)

    def _latest_task(self, kind: str, source_id: str | None) -> str:
        """Pipeline tasks that changed data (syncs of this source, transforms)."""
        stmt = (
            scoped(select(TaskRun), TaskRun, self.org_id)
            .where(TaskRun.kind == kind, TaskRun.status == "succeeded")
            .order_by(TaskRun.finished_at.desc())
            .limit(50)
        )
        for task in self.session.scalars(stmt):
            if source_id is None or (task.details or {}).get("source_id") == source_id:
                return task.finished_at.isoformat() if task.finished_at else task.id
        return ""

    def _upstream_schemas(self, model: str) -> set[str]:
        """Raw schemas the model reads, through the lineage of the last dbt parse; every raw schema if unknown."""
        manifest = _manifest(self.dbt_dir / "target" / "manifest.json")
        if manifest is None:
            return self._all_raw_schemas()
        from pipelines.dbt.lineage import LineageGraph
        from pipelines.errors import BadInputError

        graph = LineageGraph.from_manifest(manifest)
        try:
            upstream = graph.upstream(model)
        except BadInputError:  # a model not in the manifest yet (written after the last parse): be conservative
            return self._all_raw_schemas()
        sources = manifest.get("sources", {})
        return {str(sources[n.id].get("schema")) for n in upstream if n.kind == "source" and n.id in sources}

    def _all_raw_schemas(self) -> set[str]:
        slugs = self.session.scalars(scoped(select(Source.slug), Source, self.org_id))
        return {f"{RAW_PREFIX}{slug}" for slug in slugs}


_MANIFESTS: dict[Path, tuple[float, dict[str, Any]]] = {}


def _manifest(path: Path) -> dict[str, Any] | None:
    """The parsed manifest, re-read only when the file changes."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    cached = _MANIFESTS.get(path)
    if cached is None or cached[0] != mtime:
        try:
            cached = (mtime, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None
        _MANIFESTS[path] = cached
    return cached[1]
