"""A loop in a small dependency graph (meter parents, virtual-meter formulas)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycle(edges: Mapping[str, Sequence[str]]) -> list[str]:
    """One loop of ``edges`` (node → the nodes it depends on) as ``[a, b, …, a]``, or ``[]``.

    Iterative depth-first search; nodes only named as targets have no edges.
    """
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in sorted(edges):
        if root in state:
            continue
        path: list[str] = [root]
        todo = [iter(sorted(edges.get(root, ())))]
        state[root] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(sorted(edges.get(nxt, ()))))
    return []
