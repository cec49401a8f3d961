"""`models/sources.yml` kept in step with the warehouse's `raw_*` schemas (user descriptions and tests kept)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipelines.dbt.errors import DbtProjectError
from pipelines.dbt.project import OrgDbtProject, write_text_if_changed
from pipelines.dbt.yamlio import YAMLError, dump_yaml, load_yaml_file

RAW_PREFIX = "raw_"
INTERNAL_PREFIX = "_dalgo_"
SOURCES_FILE = "sources.yml"

ColumnSpec = str | tuple[str, str]
TableSpec = tuple[str, str, Sequence[ColumnSpec]]


@dataclass
class SourcesChange:
    """What a sync changed, as `schema.table` names."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    written: bool = False


def sync_sources_yml(
    project: OrgDbtProject, tables: Iterable[TableSpec], *, schema_prefix: str = RAW_PREFIX
) -> SourcesChange:
    """Make `models/sources.yml` list exactly the warehouse's tables in schemas starting with `schema_prefix`.

    `tables` holds (schema, table, columns); a column is a name or (name, data_type). Sources of other schemas
    (added by hand) are left alone; for kept tables and columns every key the user added stays.
    """
    path = project.models_dir / SOURCES_FILE
    doc = _load(path)
    taken = sources_defined_elsewhere(project)
    wanted = _wanted((t for t in tables if (t[0], t[1]) not in taken), schema_prefix)
    change = SourcesChange()
    sources: list[dict[str, Any]] = []
    for source in doc["sources"]:
        schema = str(source.get("schema") or source.get("name") or "")
        if not schema.startswith(schema_prefix):
            sources.append(source)
        elif schema in wanted:
            sources.append(_merge_source(source, wanted.pop(schema), change))
        else:
            change.removed += [f"{schema}.{t.get('name')}" for t in source.get("tables") or []]
    for schema in sorted(wanted):
        fresh = {"name": schema, "schema": schema, "description": f"Raw data loaded by Dalgo into {schema}"}
        sources.append(_merge_source(fresh, wanted[schema], change))
    doc["sources"] = [s for s in sources if s.get("tables") or not str(s.get("schema") or "").startswith(schema_prefix)]
    change.removed = [name for name in change.removed if tuple(name.split(".", 1)) not in taken]
    change.written = write_text_if_changed(path, dump_yaml(doc))
    return change


def raw_tables_from_duckdb(con: Any, schema_prefix: str = RAW_PREFIX) -> list[TableSpec]:
    """(schema, table, [(column, type)]) for every table of the `raw_*` schemas of an open DuckDB connection."""
    rows = con.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE starts_with(schema_name, ?) AND NOT internal ORDER BY schema_name, table_name, column_index",
        [schema_prefix],
    ).fetchall()
    grouped: dict[tuple[str, str], list[ColumnSpec]] = {}
    for schema, table, column, data_type in rows:
        grouped.setdefault((schema, table), []).append((column, data_type))
    return [(schema, table, columns) for (schema, table), columns in grouped.items()]


def _load(path: Any) -> dict[str, Any]:
    if not path.is_file():
        return {"version": 2, "sources": []}
    try:
        doc = load_yaml_file(path) or {}
    except YAMLError as err:
        raise DbtProjectError(
            f"models/{SOURCES_FILE} is not valid YAML: {err}",
            hint="Fix the file by hand, or delete it and Dalgo writes a new one",
        ) from err
    if not isinstance(doc, dict) or not isinstance(doc.get("sources", []), list):
        raise DbtProjectError(f"models/{SOURCES_FILE} has no list of sources", hint="Fix or delete the file")
    doc.setdefault("version", 2)
    doc["sources"] = [s for s in doc.get("sources") or [] if isinstance(s, dict)]
    return doc


def _wanted(tables: Iterable[TableSpec], prefix: str) -> dict[str, dict[str, list[tuple[str, str | None]]]]:
    wanted: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
    for schema, table, columns in tables:
        if not schema.startswith(prefix) or table.startswith(INTERNAL_PREFIX):
            continue
        cols: list[tuple[str, str | None]] = [(c, None) if isinstance(c, str) else (c[0], c[1]) for c in columns]
        wanted.setdefault(schema, {})[table] = cols
    return wanted


def _merge_source(
    source: dict[str, Any], tables: dict[str, list[tuple[str, str | None]]], change: SourcesChange
) -> dict[str, Any]:
    schema = str(source.get("schema") or source.get("name"))
    existing = {str(t.get("name")): t for t in source.get("tables") or [] if isinstance(t, dict)}
    change.removed += [f"{schema}.{name}" for name in existing if name not in tables]
    merged = []
    for name in sorted(tables):
        if name not in existing:
            change.added.append(f"{schema}.{name}")
        entry = existing.get(name) or {"name": name}
        entry["columns"] = _merge_columns(entry.get("columns") or [], tables[name])
        merged.append(entry)
    return {**source, "tables": merged}


def _merge_columns(current: list[Any], columns: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """The warehouse's columns in its order; a kept column keeps its description/tests; types refreshed."""
    by_name = {str(c.get("name")): c for c in current if isinstance(c, dict)}
    merged = []
    for name, data_type in columns:
        entry = dict(by_name.get(name) or {"name": name})
        if data_type:
            entry["data_type"] = data_type
        merged.append(entry)
    return merged


def sources_defined_elsewhere(project: OrgDbtProject) -> set[tuple[str, str]]:
    """(source, table) pairs declared by other yml files (hand-written or imported): never declared twice."""
    taken: set[tuple[str, str]] = set()
    if not project.models_dir.is_dir():
        return taken
    for path in sorted(project.models_dir.rglob("*")):
        if path.suffix not in (".yml", ".yaml") or path == project.models_dir / SOURCES_FILE:
            continue
        try:
            doc = load_yaml_file(path)
        except (OSError, YAMLError):
            continue  # dbt reports a broken file itself
        sources = doc.get("sources") if isinstance(doc, dict) else None
        for source in sources if isinstance(sources, list) else []:
            tables = source.get("tables") if isinstance(source, dict) else None
            for table in tables if isinstance(tables, list) else []:
                if isinstance(table, dict):
                    taken.add((str(source.get("name")), str(table.get("name"))))
    return taken


def prune_sources_yml(project: OrgDbtProject, schema_prefix: str = RAW_PREFIX) -> list[str]:
    """Drop from `sources.yml` the raw tables another yml file now declares (e.g. after an import)."""
    path = project.models_dir / SOURCES_FILE
    if not path.is_file():
        return []
    doc = _load(path)
    taken = sources_defined_elsewhere(project)
    dropped, kept = [], []
    for source in doc["sources"]:
        name = str(source.get("name"))
        if str(source.get("schema") or name).startswith(schema_prefix):
            tables = [t for t in source.get("tables") or [] if isinstance(t, dict)]
            dropped += [f"{name}.{t.get('name')}" for t in tables if (name, str(t.get("name"))) in taken]
            source = {**source, "tables": [t for t in tables if (name, str(t.get("name"))) not in taken]}
            if not source["tables"]:
                continue
        kept.append(source)
    doc["sources"] = kept
    write_text_if_changed(path, dump_yaml(doc))
    return dropped
