"""The scope mechanism, statically: no service hands storage a part of a scope.

:func:`jieneng.services.scope.scoped_filters` answers a whole
:class:`jieneng.core.scope.Filters` (regions, department, institutions). The two
leaks of issue 10 §2 came from services passing only ``filters.region_codes`` on.
This test reads every service module and fails on a call that passes some of the
three parts of a Filters but not all of them; a storage read takes ``filters``
whole instead. The exceptions are writes that only 管理机构 and administrators may
make (their scope is regions only), listed with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jieneng.services
from jieneng.core import scope as core_scope
from jieneng.services import scope as service_scope

PARTS = frozenset({"region_codes", "department_id", "institution_ids"})

#: (module, callee) → why passing the regions alone is the whole scope there
ALLOWED = {
    ("quality", "store.evaluate"): "running the rules over a region: RUN_QUALITY, offices only",
    ("periods", "store.sync_tasks"): "opening a period on a region: OPEN_PERIODS, offices only",
    ("scope", "_department_regions"): "the scope module itself: a department's regions",
    ("review", "store.awaiting"): "a queue of the caller's own department (not Filters)",
}


def _own_nodes(node: ast.AST) -> list[ast.AST]:
    """``node`` and what lies under it, short of nested calls (checked on their own)."""
    out, todo = [], [node]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += [c for c in ast.iter_child_nodes(current) if not isinstance(c, ast.Call)]
    return out


def _parts(node: ast.Call) -> set[str]:
    """The parts of a scope this call passes on: read off an object (``x.region_codes``
    …, in an argument or a keyword) — and then also the keywords named after a part."""
    read = {sub.attr for value in [*node.args, *(k.value for k in node.keywords)]
            for sub in _own_nodes(value) if isinstance(sub, ast.Attribute) and sub.attr in PARTS
            and not (isinstance(sub.value, ast.Attribute) and sub.value.attr == "c")}  # columns
    if not read:
        return set()
    if any(k.arg is None for k in node.keywords):  # **filters.as_kwargs() and the like
        return set(PARTS)
    return read | {k.arg for k in node.keywords if k.arg in PARTS}


def partial_calls(source: str, module: str) -> list[str]:
    """Calls in ``source`` passing one or two of the three parts of a scope."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        callee = ast.unparse(node.func)
        parts = _parts(node)
        if callee == "Filters" or (module, callee) in ALLOWED:
            continue
        if parts and parts != PARTS:
            out.append(f"{module}:{node.lineno}: {ast.unparse(node)[:100]}")
    return out


def test_no_service_passes_a_part_of_a_scope_to_storage() -> None:
    found = []
    for path in sorted(Path(jieneng.services.__file__).parent.rglob("*.py")):
        found += partial_calls(path.read_text(encoding="utf-8"), path.stem)
    assert not found, "pass the whole `filters` (jieneng.core.scope.Filters):\n" + "\n".join(
        found)


def test_the_check_finds_the_alert_leak_as_it_was() -> None:
    """The alert list before the fix: regions only."""
    before = (
        "rows = store.list_alerts(conn, region_codes=filters.region_codes, year=year,\n"
        "                         states=states, institution_id=institution_id)\n")
    assert partial_calls(before, "alerts")
    after = "rows = store.list_alerts(conn, filters, year=year, states=states)\n"
    assert not partial_calls(after, "alerts")


def test_filters_has_one_home() -> None:
    assert service_scope.Filters is core_scope.Filters
    whole = core_scope.Filters(["450321"], 7, [8])
    assert set(whole.as_kwargs()) == PARTS
    assert whole.below_region and not core_scope.Filters(["450321"]).below_region
