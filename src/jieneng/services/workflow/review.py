"""The review queue and bulk review (approve / return many tasks at once).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.categories import CATEGORIES, categories_under, parse_category
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.factors.sets import FactorSet
from jieneng.core.indicator_registry import change
from jieneng.core.indicators import AggregateInputs, compute_indicators
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.reporting.tasks import Action, TaskState, apply
from jieneng.core.scope import Filters
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.services.workflow import notices
from jieneng.services.workflow.access import (
    MAX_BULK,
    MAX_PER_PAGE,
    ancestors,
    below_period,
    now,
    review_config,
    role_for,
    stale,
    task_dict,
    task_not_found,
    transition_row,
)
from jieneng.settings import Settings
from jieneng.storage import institutions, regions
from jieneng.storage import reporting as store
from jieneng.storage import review_queue as queue


def review_queue(
    engine: Engine, user: User, *, period_id: int | None = None, page: int = 1,
    per_page: int = 50, region: str | None = None, department: str | None = None,
    category: str | None = None, state: str | None = None, findings: str | None = None,
    default_factor_set: str | None = None,
) -> dict[str, Any]:
    """The tasks waiting for my review, with their finding counts and figures, by the
    chain 主管部门 → 区县 → the period's office (:func:`jieneng.storage.review_queue.awaiting`):
    a department sees the submitted tasks of its units with a department step; an
    office (or administrator) the tasks whose earlier steps are done — a county office
    those of a city period waiting for the county step; a viewer sees its region's
    queue without actions.

    Filters: ``region`` (a region of my scope: its subtree), ``department`` (the credit
    code of a 主管部门: its units), ``category`` (单位类别, a group code takes its
    subcategories), ``state``, ``findings`` (``any`` / ``errors`` / ``warnings``: open
    findings of that kind). Each row carries ``totals`` (:func:`_totals`). One query
    for the page and one for the count, whatever the page size."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    chosen = _chosen(region, department, category, state, findings)
    empty = {"items": [], "total": 0, "page": page, "per_page": per_page, "reviewer": None,
             "filters": chosen, "options": _no_options()}
    if user.role == "institution":  # a 公共机构 reviews nothing: an empty queue
        return empty
    reviewer = "department" if user.role == "department" else "office"
    above = ancestors(user.scope.region_code) if user.scope.region_code else []
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=chosen["region"])
        competent = None
        if chosen["department"]:
            row = institutions.get_institution(conn, chosen["department"])
            competent = -1 if row is None else int(row.id)
        waiting = queue.awaiting(reviewer, user.scope.department_id, above)
        rows, total = queue.queue_page(
            conn, filters, waiting=waiting,
            period_id=period_id, categories=_categories(chosen["category"]),
            competent_id=competent, states=[chosen["state"]] if chosen["state"] else None,
            findings=chosen["findings"], offset=(page - 1) * per_page, limit=per_page)
        fs = resolve_factor_set(conn, user.scope.region_code, default=default_factor_set)
        options = _options(conn, user, scoped_filters(conn, user.scope))
    kgce = _kgce(fs)
    items = []
    for r in rows:
        item = task_dict(r, user)
        item["totals"] = _totals(r, kgce)
        items.append(item)
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "reviewer": reviewer, "filters": chosen, "options": options}


#: Task states a queue row can be in (the state filter's choices).
QUEUE_STATES: tuple[str, ...] = ("submitted", "dept_approved", "region_approved")


def _chosen(region: str | None, department: str | None, category: str | None,
            state: str | None, findings: str | None) -> dict[str, str | None]:
    if state and state not in QUEUE_STATES:
        raise ValidationFailed.of("workflow.unknown_state", states=[state])
    if findings and findings not in queue.FINDING_FILTERS:
        raise ValidationFailed.of("workflow.unknown_finding_filter", value=findings,
                                  field="findings")
    if category:
        _categories(category)
    return {"region": region or None, "department": department or None,
            "category": category or None, "state": state or None, "findings": findings or None}


def _categories(code: str | None) -> list[str] | None:
    if not code:
        return None
    return list(categories_under(code if code == "02" else parse_category(code).code))


def _no_options() -> dict[str, Any]:
    return {"regions": [], "departments": [], "categories": _category_options(),
            "states": list(QUEUE_STATES), "findings": list(queue.FINDING_FILTERS)}


def _category_options() -> list[dict[str, str]]:
    return [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en} for c in CATEGORIES]


def _options(conn: Connection, user: User, filters: Filters) -> dict[str, Any]:
    """The choices of the queue's filters inside my scope: the regions of my subtree,
    the departments of my institutions, categories, states and finding kinds."""
    out = _no_options()
    if user.scope.region_code:
        tree = RegionTree(regions.load_regions(conn))
        out["regions"] = [{"code": c, "name": tree.name(c)}
                          for c in tree.subtree(user.scope.region_code)][:500]
    if user.role != "department":
        out["departments"] = [
            {"credit_code": d["credit_code"], "name": d["name"]}
            for d in queue.departments(conn, filters)]
    return out


def _kgce(fs: FactorSet) -> tuple[tuple[str, float], ...]:
    """kgce per unit of every carrier counted in energy, as
    :func:`~jieneng.core.indicators.compute_indicators` applies them (read from its own
    result, so the rule stays in ``core``; the standard-coal coefficients depend on
    neither the year nor the province)."""
    probe = compute_indicators(AggregateInputs.empty(), fs, year=2000, province_code=None)
    return tuple((item["carrier"], float(item["kgce_per_unit"])) for item in probe.by_carrier
                 if item["kgce_per_unit"] is not None)


def _totals(row: dict[str, Any], kgce: tuple[tuple[str, float], ...]
            ) -> dict[str, float | None]:
    """A row's figures: 综合能耗 [tce] (Σ quantity × kgce ÷ 1000, the overview's rule),
    电 [kWh] and 水 [m³] of the task's period and of the same period a year before, and
    their 同比 (:func:`jieneng.core.indicator_registry.change`, the one change rule:
    None against a zero or missing base)."""
    out: dict[str, float | None] = {}
    for prefix, key in (("now_", ""), ("before_", "previous_")):
        present = [c for c in CARRIER_CODES if row.get(prefix + c) is not None]
        energy = None
        if present:
            energy = 0.0
            for code, k in kgce:
                value = row.get(prefix + code)
                energy += float(value) * k if value is not None else 0.0
            energy /= 1000
        out.update({f"{key}energy_tce": energy,
                    f"{key}electricity_kwh": _float(row.get(prefix + "electricity")),
                    f"{key}water_m3": _float(row.get(prefix + "water"))})
    for name in ("energy_tce", "electricity_kwh", "water_m3"):
        out[f"yoy_{name}"] = change(out[name], out[f"previous_{name}"])
    return out


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def bulk_review(
    engine: Engine, user: User, decision: str, tasks: list[tuple[int, int | None]], *,
    reason: str | None = None, settings: Settings | None = None,
) -> dict[str, Any]:
    """Approve or return many tasks at once: ``decision`` ``approve`` or ``return``;
    ``tasks`` are ``(id, version read)``. Each task is checked by the state machine
    (a department approves as ``dept_approve``, an office as ``approve``); the
    accepted ones move in one ``UPDATE`` guarded by their version and state, the
    others are reported in ``refused`` with the reason (``not_found``, ``conflict``,
    ``not_permitted``, ``validation_failed``)."""
    require(user, Capability.REVIEW)
    if decision not in ("approve", "return"):
        raise ValidationFailed.of("workflow.invalid_bulk_decision", decision=decision)
    if len(tasks) > MAX_BULK:
        raise ValidationFailed.of("workflow.too_many_tasks", limit=MAX_BULK)
    reason = reason.strip()[:2000] if reason and reason.strip() else None
    if decision == "return" and reason is None:
        raise ValidationFailed.of("workflow.return_needs_reason", field="reason")
    at = now()
    refused: list[dict[str, Any]] = []
    moves: list[tuple[int, int, str, str]] = []
    planned: dict[int, dict[str, Any]] = {}
    sent: list[notices.Notice] = []
    with engine.begin() as conn:
        filters = scoped_filters(conn, user.scope)
        visible, _ = store.task_page(
            conn, filters, task_ids=[i for i, _ in tasks], limit=MAX_BULK)
        by_id = {int(r["id"]): r for r in visible}
        for task_id, version in tasks:  # the selected tasks only (≤ MAX_BULK)
            task = by_id.get(task_id)
            if task is None:
                refused.append(_refusal(task_id, task_not_found(task_id)))
                continue
            read = int(task["version"])
            try:
                if version is not None and version != read:
                    raise stale(task_id)
                action = _bulk_action(user, task, decision)
                role = role_for(user, task, action)
                move = apply(TaskState(task["state"]), action, role, review_config(task),
                             actor_user_id=user.id, at=at, reason=reason)
            except DomainError as err:
                refused.append(_refusal(task_id, err))
                continue
            moves.append((task_id, read, move.from_state.value, move.to_state.value))
            planned[task_id] = transition_row(task_id, move.from_state.value, move.to_state.value,
                                        action, user, role, at, move.reason)
        moved = store.move_tasks(conn, moves, at=at)
        for task_id, *_ in moves:
            if task_id not in moved:
                refused.append(_refusal(task_id, stale(task_id)))
        store.insert_transitions(conn, [planned[i] for i in sorted(moved)])
        if moved:
            audit.record(conn, user.actor, f"reporting.bulk_{decision}", "reporting_task",
                         None, after={"tasks": sorted(moved), "reason": reason})
        if decision == "return":  # the filers learn of it (in-app; channels: settings)
            sent = notices.announce_moves(conn, sorted(moved), "return", reason=reason,
                                          actor=user, at=at)
    if settings is not None:
        notices.deliver(engine, settings, sent)
    return {"decision": decision, "moved": sorted(moved), "refused": refused}


_ACTIONS: dict[str, tuple[Action, Action]] = {
    "department": (Action.DEPT_APPROVE, Action.DEPT_RETURN),
    "county": (Action.REGION_APPROVE, Action.REGION_RETURN),
    "office": (Action.APPROVE, Action.RETURN),
}


def _step(user: User, task: dict[str, Any]) -> str:
    """The step of the chain the caller reviews this task as: a department its own,
    an office below the period's region the county step, an administrator the step
    the task waits for; any other office the period's (the state machine refuses it
    while an earlier step is open)."""
    if user.role == "department":
        return "department"
    if user.role in ("region", "region_admin"):
        county = below_period(user, str(task["period_region"])) and review_config(task).region_step
        return "county" if county else "office"
    if user.role == "admin":
        config, state = review_config(task), task["state"]
        if config.department_step and state == TaskState.SUBMITTED.value:
            return "department"
        if config.region_step and state in (TaskState.SUBMITTED.value,
                                            TaskState.DEPT_APPROVED.value):
            return "county"
    return "office"


def _bulk_action(user: User, task: dict[str, Any], decision: str) -> Action:
    approve, ret = _ACTIONS[_step(user, task)]
    return approve if decision == "approve" else ret


def _refusal(task_id: int, err: DomainError) -> dict[str, Any]:
    return {"id": task_id, "code": err.code, "kind": err.kind, "message_zh": err.message_zh,
            "message_en": err.message_en}
