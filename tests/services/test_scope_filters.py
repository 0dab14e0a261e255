"""The scope mechanism, statically: no service hands storage a part of a scope, and
no storage function takes one.

:func:`jieneng.services.scope.scoped_filters` answers a whole
:class:`jieneng.core.scope.Filters` (regions, department, institutions). The two
leaks of issue 10 §2 came from services passing only ``filters.region_codes`` on.
This test reads every service module and fails on a call that passes some of the
three parts of a Filters but not all of them; a storage read takes ``filters``
whole instead. It also reads every storage module: no function has a parameter
named after a part (a read takes ``filters: Filters``), and only
:mod:`jieneng.storage.scoping` reads the parts of a ``filters`` — the one
translation into SQL. The exceptions are listed with the reason.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import jieneng.services
import jieneng.storage
from jieneng.core import scope as core_scope
from jieneng.services import scope as service_scope

PARTS = frozenset({"region_codes", "department_id", "institution_ids"})

#: (module, callee) → why passing the regions alone is the whole scope there
ALLOWED = {
    ("scope", "_department_regions"): "the scope module itself: a department's regions",
    ("review", "queue.awaiting"): "a queue of the caller's own department (not Filters)",
    ("round_scoring", "_positions"): "where the round's members sit in the province's "
                                      "figures (a position look-up, not a scope)",
}

#: (storage module, function) → why a parameter named after a part is not a scope
STORAGE_ALLOWED = {
    ("alerts", "region_users"): "the recipients of a region's alert, not a read for a caller",
    ("alerts", "month_energy"): "figures of the institutions an evaluation chose (scoped ids)",
    ("alerts", "profiles"): "profiles of the institutions an evaluation chose (scoped ids)",
    ("alerts", "institutions_users"): "the recipients of given institutions' alerts",
    ("alerts", "subject_details"): "names of the subjects of alerts a scoped read returned",
    ("task_notices", "filers"): "the recipients of a move on given tasks' institutions",
    ("notify", "institution_users"): "the recipients of given institutions",
    ("next_tasks", "first_tasks"): "the first task of the units a scoped directory search "
                                   "returned (the /entry chooser)",
    ("quality/findings", "stage"): "tests: staging the findings of given institutions",
    ("quality/institution_rules", "_intensities"): "the peer group's regions: peers are "
                                                   "compared city-wide, whatever one sees",
    ("quality/settings", "region_configs"): "rule settings of regions (configuration)",
    ("review_queue", "awaiting"): "the review queue of the reviewer's own department",
    ("spot_checks", "annual_quantities"): "figures of the sampled institutions (scoped ids)",
    ("summaries", "periods_in"): "periods opened on a region's lineage and subtree; the "
                                 "service keeps those covering the caller's scope",
    ("targets", "list_targets"): "institution_ids narrows further inside the whole filters",
    ("users", "pin_names"): "names of the units of accounts a manager's read returned",
    ("users", "first_institution"): "a look-up by department (demo log-in), not a scoped read",
    ("demo", "month_quantities"): "the demo build's own units (no caller)",
    ("project_inputs", "statistics_months"): "the owners of a project a scoped look-up "
                                             "returned (scoped ids)",
    ("project_inputs", "profile_sums"): "the owners of a project a scoped look-up returned "
                                        "(scoped ids)",
    ("campaign_figures", "window_sums"): "the peer group's regions: a round's bands compare "
                                         "with the province's same-type average, whatever "
                                         "one sees; the service keeps the round's region",
    ("title_awards", "titles_held"): "titles of the members of a round a scoped read "
                                     "returned (scoped ids), or of everyone (flags)",
    ("campaign_rounds", "set_members_state"): "members of a round chosen by a scoped read",
    ("campaign_rounds", "list_rounds"): "rounds of the regions the caller holds and of those "
                                        "above them (a region's round concerns its subtree); "
                                        "the service computes them",
    ("weather", "serve_regions"): "the regions a weather station serves (configuration), "
                                  "not a read for a caller",
    ("forms_ny", "rooms_of"): "the rooms of the one institution a scoped look-up returned",
    ("metered_statistics", "stage_institutions"): "the institutions of a scoped places "
                                                  "frame (scoped ids)",
    ("metered_statistics", "meter_month_rollups"): "meters of the institutions of a scoped "
                                                   "places frame (scoped ids)",
    ("metered_statistics", "replace_figures"): "figures of the institutions of a scoped "
                                               "places frame (scoped ids)",
    ("utility_data", "month_inputs"): "accounts of the institutions of a scoped places frame "
                                      "(scoped ids)",
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
    if any(k.arg is None for k in node.keywords):  # **kwargs holding a part and the like
        return set(PARTS)
    return read | {k.arg for k in node.keywords if k.arg in PARTS}


def partial_calls(source: str, module: str) -> list[str]:
    """Calls in ``source`` passing one or two of the three parts of a scope, and parts
    taken straight off ``scoped_filters(…)`` (to be handed on as they are)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr in PARTS
                and isinstance(node.value, ast.Call)
                and ast.unparse(node.value.func).endswith("scoped_filters")):
            out.append(f"{module}:{node.lineno}: {ast.unparse(node)[:100]}")
            continue
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


def storage_parts(source: str, module: str) -> list[str]:
    """Functions in ``source`` with a parameter named after a part of a scope, and reads
    of a part off ``filters`` (outside :mod:`jieneng.storage.scoping`)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            named = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]} & PARTS
            if named and (module, node.name) not in STORAGE_ALLOWED:
                out.append(f"{module}:{node.lineno}: {node.name}({', '.join(sorted(named))})")
        elif (isinstance(node, ast.Attribute) and node.attr in PARTS
              and isinstance(node.value, ast.Name) and node.value.id == "filters"):
            out.append(f"{module}:{node.lineno}: filters.{node.attr}")
    return out


def test_no_storage_function_takes_a_part_of_a_scope() -> None:
    root = Path(jieneng.storage.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root).with_suffix("").as_posix()
        if module == "scoping" or module.startswith("migrations/"):
            continue
        found += storage_parts(path.read_text(encoding="utf-8"), module)
    assert not found, ("take `filters: Filters` whole and apply it with "
                       "jieneng.storage.scoping:\n" + "\n".join(found))


def test_the_storage_check_finds_a_read_by_parts() -> None:
    before = (
        "def list_findings(conn, *, region_codes=None, department_id=None, year=None):\n"
        "    ...\n")
    assert storage_parts(before, "quality/findings")
    assert storage_parts("def f(conn, filters):\n    return filters.region_codes\n", "x")
    after = ("def list_findings(conn, filters, *, year=None):\n"
             "    return institution_conditions(conn, filters)\n")
    assert not storage_parts(after, "quality/findings")


def test_the_check_finds_the_alert_leak_as_it_was() -> None:
    """The alert list before the fix: regions only."""
    before = (
        "rows = store.list_alerts(conn, region_codes=filters.region_codes, year=year,\n"
        "                         states=states, institution_id=institution_id)\n")
    assert partial_calls(before, "alerts")
    after = "rows = store.list_alerts(conn, filters, year=year, states=states)\n"
    assert not partial_calls(after, "alerts")


def test_the_check_finds_the_spot_check_list_as_it_was() -> None:
    """The spot-check list before the fix: the regions of the scope taken off, alone."""
    before = ("wanted = (scoped_filters(conn, scope, region_code=region_code).region_codes\n"
              "          if region_code else None)\n")
    assert partial_calls(before, "spot_checks")
    after = "wanted = scoped_filters(conn, scope, region_code=region_code)\n"
    assert not partial_calls(after, "spot_checks")


def test_filters_has_one_home() -> None:
    assert service_scope.Filters is core_scope.Filters
    whole = core_scope.Filters(["450321"], 7, [8])
    assert {f.name for f in dataclasses.fields(whole)} == PARTS
    assert whole.narrowed([8, 9]) == core_scope.Filters(["450321"], 7, [8])
    assert whole.below_region and not core_scope.Filters(["450321"]).below_region
