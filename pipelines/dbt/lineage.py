"""Lineage from dbt's manifest: sources → models (→ charts added by the caller), up/downstream lists, a PNG."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import BadInputError

GRAPH_RESOURCE_TYPES = ("model", "seed", "snapshot", "exposure")


@dataclass(frozen=True)
class LineageNode:
    """A box of the graph: `kind` is source, model, seed, snapshot, exposure, or what the caller adds (chart)."""

    id: str
    name: str
    kind: str
    label: str


class LineageGraph:
    """A directed graph of data flowing from sources to models to charts."""

    def __init__(self) -> None:
        self.nodes: dict[str, LineageNode] = {}
        self.parents: dict[str, set[str]] = {}
        self.children: dict[str, set[str]] = {}

    @classmethod
    def from_manifest(cls, manifest: Any) -> LineageGraph:
        """From a dbt `Manifest` object or a `manifest.json` dict; tests and analyses are left out."""
        graph = cls()
        for uid, source in _items(manifest, "sources"):
            name = _get(source, "name")
            graph.add_node(uid, name, "source", f"{_get(source, 'source_name')}.{name}")
        for section in ("nodes", "exposures"):
            for uid, node in _items(manifest, section):
                kind = str(getattr(_get(node, "resource_type"), "value", _get(node, "resource_type")))
                if kind in GRAPH_RESOURCE_TYPES:
                    graph.add_node(uid, _get(node, "name"), kind, _get(node, "name"))
        for section in ("nodes", "exposures"):
            for uid, node in _items(manifest, section):
                if uid in graph.nodes:
                    for parent in _get(_get(node, "depends_on"), "nodes") or []:
                        if parent in graph.nodes:
                            graph.add_edge(parent, uid)
        return graph

    def add_node(self, node_id: str, name: str, kind: str, label: str | None = None) -> LineageNode:
        """Add (or replace) a node, e.g. `("chart.12", "Visits by month", "chart")`."""
        node = LineageNode(node_id, name, kind, label or name)
        self.nodes[node_id] = node
        self.parents.setdefault(node_id, set())
        self.children.setdefault(node_id, set())
        return node

    def add_edge(self, parent: str, child: str) -> None:
        """Data flows from `parent` to `child` (both must be nodes already)."""
        for end in (parent, child):
            if end not in self.nodes:
                raise BadInputError(f"'{end}' is not in the lineage graph", hint="Add the node before its edges")
        self.children[parent].add(child)
        self.parents[child].add(parent)

    def resolve(self, ref: str) -> str:
        """A node id from an id, a model name, or `source.table` for a source."""
        if ref in self.nodes:
            return ref
        matches = [n.id for n in self.nodes.values() if ref in (n.name, n.label)]
        models = [m for m in matches if self.nodes[m].kind != "source"]
        if len(matches) == 1 or len(models) == 1:
            return matches[0] if len(matches) == 1 else models[0]
        if not matches:
            raise BadInputError(f"Nothing called '{ref}' in the lineage", hint="Run or parse the project first")
        raise BadInputError(f"'{ref}' names several nodes: {sorted(matches)}", hint="Use the full id")

    def upstream(self, ref: str, depth: int | None = None) -> list[LineageNode]:
        """Everything `ref` reads from, nearest first (`depth=1`: direct parents only)."""
        return self._walk(self.resolve(ref), self.parents, depth)

    def downstream(self, ref: str, depth: int | None = None) -> list[LineageNode]:
        """Everything built from `ref`, nearest first."""
        return self._walk(self.resolve(ref), self.children, depth)

    def _walk(self, start: str, links: Mapping[str, set[str]], depth: int | None) -> list[LineageNode]:
        seen, order = {start}, []
        queue = deque([(start, 0)])
        while queue:
            node, distance = queue.popleft()
            if depth is not None and distance >= depth:
                continue
            for nxt in sorted(links[node]):
                if nxt not in seen:
                    seen.add(nxt)
                    order.append(self.nodes[nxt])
                    queue.append((nxt, distance + 1))
        return order

    def levels(self) -> dict[str, int]:
        """Each node's column: the longest path to it from a node without parents (sources are column 0)."""
        level: dict[str, int] = {}
        for node in self._topological_order():
            level[node] = max((level[p] + 1 for p in self.parents[node]), default=0)
        return level

    def layers(self) -> list[list[str]]:
        """Node ids by column, each column ordered top to bottom to reduce edge crossings."""
        return [[n for n in column if n in self.nodes] for column in layered_layout(self).columns]

    def _topological_order(self) -> list[str]:
        pending = {n: len(p) for n, p in self.parents.items()}
        ready = deque(sorted(n for n, count in pending.items() if count == 0))
        order = []
        while ready:
            node = ready.popleft()
            order.append(node)
            for child in sorted(self.children[node]):
                pending[child] -= 1
                if pending[child] == 0:
                    ready.append(child)
        if len(order) != len(self.nodes):
            cycle = sorted(n for n, count in pending.items() if count > 0)
            raise BadInputError(f"The lineage has a cycle through {cycle[:5]}", hint="Remove the circular reference")
        return order

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nodes and edges."""
        edges = [{"from": p, "to": c} for p in sorted(self.children) for c in sorted(self.children[p])]
        return {"nodes": [asdict(n) for n in self.nodes.values()], "edges": edges}


@dataclass
class Layout:
    """Columns of node ids (plus placeholder ids where a long edge crosses a column) and each edge's route."""

    columns: list[list[str]]
    routes: list[list[str]]


def layered_layout(graph: LineageGraph) -> Layout:
    """Sugiyama-style layers: an edge spanning several columns gets a placeholder in each, then crossings reduced."""
    level = graph.levels()
    columns: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for node in sorted(level, key=lambda n: (graph.nodes[n].kind, graph.nodes[n].label)):
        columns[level[node]].append(node)
    parents: dict[str, set[str]] = {n: set() for n in graph.nodes}
    children: dict[str, set[str]] = {n: set() for n in graph.nodes}
    routes = []
    for parent in sorted(graph.children):
        for child in sorted(graph.children[parent]):
            route = [parent]
            for column in range(level[parent] + 1, level[child]):
                placeholder = f"\0{parent}->{child}@{column}"
                columns[column].append(placeholder)
                parents[placeholder], children[placeholder] = set(), set()
                route.append(placeholder)
            route.append(child)
            for a, b in itertools.pairwise(route):
                children[a].add(b)
                parents[b].add(a)
            routes.append(route)
    return Layout(_reduce_crossings(columns, parents, children), routes)


def _reduce_crossings(
    columns: list[list[str]], parents: Mapping[str, set[str]], children: Mapping[str, set[str]]
) -> list[list[str]]:
    """Barycenter heuristic: order each column by the mean position of its neighbours, sweeping both ways."""
    for sweep in range(6):
        forward = sweep % 2 == 0
        indices = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for i in indices:
            ref = columns[i - 1] if forward else columns[i + 1]
            columns[i] = _by_barycenter(columns[i], ref, parents if forward else children)
    return columns


def _by_barycenter(column: list[str], ref: list[str], links: Mapping[str, set[str]]) -> list[str]:
    position = {n: k for k, n in enumerate(ref)}
    current = {n: k for k, n in enumerate(column)}

    def key(node: str) -> float:
        near = [position[n] for n in links[node] if n in position]
        return sum(near) / len(near) if near else float(current[node])

    return sorted(column, key=key)


def _items(manifest: Any, section: str) -> Iterable[tuple[str, Any]]:
    data = manifest.get(section, {}) if isinstance(manifest, Mapping) else getattr(manifest, section, {})
    return sorted((data or {}).items())


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def render_lineage_png(graph: LineageGraph, path: Path | str, *, highlight: str | None = None) -> Path:
    """Draw the graph left to right (matplotlib Agg) into a PNG; `highlight` outlines one node."""
    from pipelines.dbt.lineage_draw import draw_lineage

    return draw_lineage(graph, Path(path), graph.resolve(highlight) if highlight else None)
