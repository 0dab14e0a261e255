"""No import loops in jieneng, counting every import statement.

grimp reads every ``import`` in the source — at module level, inside functions
and under ``if TYPE_CHECKING:`` — so a loop kept alive by a deferred import
counts here although Python would run it. Two checks:

- modules: no module reaches itself through imports;
- siblings: inside every package, its direct children (a sub-package counts as
  everything under it) import each other one way only — e.g. ``web.forms`` may
  import ``web.common`` or the reverse, never both.

``import-linter``'s ``acyclic_siblings`` contract in ``pyproject.toml`` guards
the same thing in ``lint-imports``.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import grimp
import pytest

Graph = Mapping[str, Set[str]]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("jieneng", cache_dir=None)


def _edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _loops(edges: Graph) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _sibling_edges(edges: Graph, package: str, children: Set[str]) -> dict[str, set[str]]:
    """The imports between the children of ``package``, each child standing for its subtree."""

    def child_of(module: str) -> str | None:
        for child in children:
            if module == child or module.startswith(child + "."):
                return child
        return None

    squashed: dict[str, set[str]] = {child: set() for child in children}
    for importer, imported in edges.items():
        source = child_of(importer)
        if source is None:
            continue
        for target in map(child_of, imported):
            if target is not None and target != source:
                squashed[source].add(target)
    return squashed


def test_no_module_imports_itself_through_others(graph: grimp.ImportGraph) -> None:
    loops = _loops(_edges(graph))
    assert loops == [], f"import loops between modules: {loops}"


def test_siblings_import_each_other_one_way_only(graph: grimp.ImportGraph) -> None:
    edges = _edges(graph)
    loops: dict[str, list[list[str]]] = {}
    for package in sorted(graph.modules):
        children = graph.find_children(package)
        if len(children) < 2:
            continue
        found = _loops(_sibling_edges(edges, package, children))
        if found:
            loops[package] = found
    assert loops == {}, f"import loops between the children of a package: {loops}"


def test_the_check_sees_a_loop() -> None:
    """The loop finder itself: a deferred import closing a circle is a loop."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _loops(edges) == [["a", "b", "c"]]
    assert _loops({"a": {"b"}, "b": set()}) == []
