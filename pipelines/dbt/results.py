"""Structured results of a dbt command: per-node status, timing, rows, messages and error locations."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# dbt's statuses, kept as dbt spells them: models success/error/skipped/no-op, tests pass/fail/warn/error;
# Dalgo adds "cancelled" for the node a user's cancel interrupted.
SQL_LINE = re.compile(r"\bLINE (\d+):")  # DuckDB and Postgres: line in the executed statement
BQ_LINE = re.compile(r"at \[(\d+):\d+\]")  # BigQuery: [line:column] in the executed statement
JINJA_LINE = re.compile(r"^\s*line (\d+)\s*$", re.MULTILINE)  # dbt's Jinja errors: line in the model file
FILE_IN_MESSAGE = re.compile(r"\(([^()\s]+\.(?:sql|yml|yaml|csv|py))\)|\b((?:models|macros|seeds|tests|snapshots)/\S+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class NodeResult:
    """One model, test, seed or snapshot of a run."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    execution_time: float = 0.0
    rows_affected: int | None = None
    message: str | None = None
    failures: int | None = None
    severity: str | None = None
    file: str | None = None
    line: int | None = None
    relation: str | None = None
    materialized: str | None = None


@dataclass
class RunResult:
    """What a dbt command did: overall success, per-node results, captured logs and elapsed seconds."""

    command: str
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    logs: str = ""
    elapsed: float = 0.0
    error: str | None = None
    error_file: str | None = None
    error_line: int | None = None
    cancelled: bool = False
    parsed: bool = False
    compiled: dict[str, str] = field(default_factory=dict)

    def node(self, name: str) -> NodeResult:
        """The result of the node with this name (or unique id)."""
        for item in self.nodes:
            if name in (item.name, item.unique_id):
                return item
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, to store with the run."""
        return asdict(self)


def node_result_from_dbt(result: Any, project_dir: Path) -> NodeResult:
    """Convert one of dbt's `RunResult`s (with its manifest node)."""
    node = result.node
    status = str(getattr(result.status, "value", result.status))
    message = clean(result.message) if result.message else None
    response = result.adapter_response or {}
    rows = response.get("rows_affected")
    config = getattr(node, "config", None)
    item = NodeResult(
        unique_id=node.unique_id,
        name=node.name,
        resource_type=str(getattr(node.resource_type, "value", node.resource_type)),
        status=status,
        execution_time=float(result.execution_time or 0.0),
        rows_affected=int(rows) if isinstance(rows, int) and rows >= 0 else None,
        message=message,
        failures=result.failures,
        severity=str(getattr(config, "severity", "") or "").lower() or None,
        file=getattr(node, "original_file_path", None),
        relation=getattr(node, "relation_name", None),
        materialized=getattr(config, "materialized", None),
    )
    if status == "error" and message:
        item.line = locate_error_line(node, message, project_dir)
    return item


def node_result_from_event(data: Any) -> NodeResult:
    """Build a node result from dbt's `NodeFinished` event (used when a cancelled run returns no results)."""
    info, run = data.node_info, data.run_result
    return NodeResult(
        unique_id=info.unique_id,
        name=info.node_name,
        resource_type=info.resource_type,
        status=run.status or info.node_status,
        execution_time=float(run.execution_time or 0.0),
        message=clean(run.message) if run.message else None,
        file=info.node_path or None,
        relation=info.node_relation.relation_name or None,
        materialized=info.materialized or None,
    )


def locate_error_line(node: Any, message: str, project_dir: Path) -> int | None:
    """The line of the model file an error message points at, when it can be told."""
    jinja = JINJA_LINE.search(message)
    if jinja:
        return int(jinja.group(1))
    match = SQL_LINE.search(message) or BQ_LINE.search(message)
    compiled = getattr(node, "compiled_code", None)
    if not match or not compiled:
        return None
    run_sql = _read(project_dir / "target" / "run" / node.package_name / node.original_file_path)
    # dbt prepends a one-line query comment to what it executes; the wrapper (`create table ... as (`) adds more.
    estimate = int(match.group(1)) - (_offset_of(compiled, run_sql) if run_sql else 0) - 1
    compiled_line = _snippet_line(compiled, message[match.end() :].split("\n", 1)[0], estimate)
    return _raw_line(getattr(node, "raw_code", "") or "", compiled, compiled_line)


def _snippet_line(compiled: str, snippet: str, estimate: int) -> int:
    """The compiled line holding the text the database quoted after `LINE n:` (nearest the estimate)."""
    text = snippet.strip().removeprefix("...").removesuffix("...").strip()
    candidates = [i for i, line in enumerate(compiled.splitlines(), start=1) if text and text in line]
    return min(candidates, key=lambda i: abs(i - estimate)) if candidates else estimate


def _offset_of(compiled: str, statement: str) -> int:
    """How many lines of wrapper (`create table ... as (`) precede the model's SQL in the executed statement."""
    body = compiled.strip()
    position = statement.find(body) if body else -1
    if position < 0:
        return 0
    leading = compiled[: len(compiled) - len(compiled.lstrip())].count("\n")
    return statement[:position].count("\n") - leading


def _raw_line(raw: str, compiled: str, compiled_line: int) -> int | None:
    """Map a compiled line to the model file: same line when Jinja kept the line count, else match its text."""
    compiled_lines, raw_lines = compiled.splitlines(), raw.splitlines()
    if not 1 <= compiled_line <= len(compiled_lines):
        return None
    if len(compiled_lines) == len(raw_lines):
        return compiled_line
    text = compiled_lines[compiled_line - 1].strip()
    matches = [i + 1 for i, line in enumerate(raw_lines) if text and line.strip() == text]
    return min(matches, key=lambda n: abs(n - compiled_line)) if matches else None


def error_location(exc: BaseException, project_dir: Path) -> tuple[str | None, int | None]:
    """File and line of a project-level error (a parse/compile error raised before any node ran)."""
    node = getattr(exc, "node", None)
    message = str(exc)
    path = getattr(node, "original_file_path", None)
    if not path:
        found = FILE_IN_MESSAGE.search(message)
        path = (found.group(1) or found.group(2)) if found else None
    line = JINJA_LINE.search(message) or re.search(r"\bline (\d+)", message)
    return path, int(line.group(1)) if line else None


def clean(text: str) -> str:
    """Drop terminal colours and trailing spaces from a dbt message."""
    return "\n".join(line.rstrip() for line in ANSI.sub("", text).splitlines()).strip()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
