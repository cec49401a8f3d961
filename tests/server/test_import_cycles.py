"""No import cycles among the server's modules: each layer and domain can be read (and loaded) on its own."""

from __future__ import annotations

import grimp


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), i.e. the import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _server_edges() -> dict[str, set[str]]:
    graph = grimp.build_graph("server")
    modules = {m for m in graph.modules if m.startswith("server.")}
    return {m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules} for m in modules}


def test_the_cycle_finder_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_between_server_modules() -> None:
    assert _cycles(_server_edges()) == []


def test_no_import_cycles_between_server_packages() -> None:
    """Domains and core depend one way: e.g. sources may use jobs, but then jobs never uses sources."""
    packages: dict[str, set[str]] = {}
    for module, imported in _server_edges().items():
        source = ".".join(module.split(".")[:2])
        targets = {".".join(i.split(".")[:2]) for i in imported} - {source}
        packages.setdefault(source, set()).update(targets)
    assert _cycles(packages) == []
