"""The year of one institution (数据填报 as a spreadsheet): 12 months × carriers.

:func:`year_grid` reads the year's current figures (quantity in the canonical unit
and cost per month and carrier), last year's beside them, the totals (per carrier
over the year; per month 综合能耗 in tce and the cost) and the reporting tasks of
the year: a month whose 月报 — or the year's 年报 — is submitted, approved by the
department or approved is ``locked`` (its figures cannot change, the form shows
them read-only). :func:`save_year` stores the typed months through the monthly
form's service (:func:`jieneng.services.entry.entry.save_months`: the same checks
and warnings, all months in one transaction, all or nothing).
:func:`submit_month` is the form's 上报: the month's task moves through
:func:`jieneng.services.workflow.tasks.act` like on the task page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.factors.sets import factor_set
from jieneng.core.permissions import Capability, require
from jieneng.core.reporting.tasks import (
    Action,
    ActorRole,
    ReviewConfig,
    TaskState,
    allowed_actions,
    is_locked,
)
from jieneng.services.entry.entry import save_months
from jieneng.services.entry.entry_checks import EntryValue
from jieneng.services.metering import overrides
from jieneng.services.scope import visible_institution
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.storage import directory as queries
from jieneng.storage import task_figures

MONTHS = tuple(range(1, 13))


def _check_year(year: int) -> None:
    if not 1900 <= year <= 2200:
        raise ValidationFailed.of("entry.invalid_period", year=year, month=0)


def _carriers() -> list[dict[str, Any]]:
    """Every carrier of the form with its standard-coal coefficient (kgce per unit)."""
    factors = factor_set()
    return [{"carrier": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
             "unit": c.canonical_unit, "unit_zh": c.unit_zh,
             "counts_in_energy": c.counts_in_energy,
             "kgce_per_unit": factors.kgce_per_unit(c) if c.counts_in_energy else None}
            for c in CARRIERS]


def _task_out(task: dict[str, Any] | None, user: User) -> dict[str, Any] | None:
    if task is None:
        return None
    state = TaskState(task["state"])
    config = ReviewConfig(department_step=bool(task["department_step"]))
    can_submit = (user.can(Capability.SUBMIT)
                  and Action.SUBMIT in allowed_actions(state, ActorRole.FILER, config))
    return {"id": task["id"], "state": state.value, "state_zh": state.label("zh"),
            "state_en": state.label("en"), "version": task["version"],
            "kind": task["kind"], "locked": is_locked(state), "can_submit": can_submit,
            "deadline": task["deadline"].isoformat() if task["deadline"] else None}


def _cells(records: list[dict[str, Any]], year: int, month: int) -> dict[str, dict[str, Any]]:
    return {r["carrier"]: {"quantity": r["quantity"], "cost_yuan": r["cost_yuan"],
                           "entered_value": r["entered_value"],
                           "entered_unit": r["entered_unit"], "source": r["source"],
                           "revision": r["revision"]}
            for r in records if (r["year"], r["month"]) == (year, month)}


def _month_totals(cells: dict[str, dict[str, Any]], kgce: dict[str, float | None]
                  ) -> dict[str, float | None]:
    """综合能耗 [tce] and the cost [元] of one month's cells (None: nothing stored)."""
    if not cells:
        return {"energy_tce": None, "cost_yuan": None}
    energy = sum(float(c["quantity"]) * (kgce.get(code) or 0.0) for code, c in cells.items())
    costs = [float(c["cost_yuan"]) for c in cells.values() if c["cost_yuan"] is not None]
    return {"energy_tce": energy / 1000.0, "cost_yuan": sum(costs) if costs else None}


def _lock(task: dict[str, Any] | None, annual: dict[str, Any] | None
          ) -> dict[str, Any] | None:
    """The task that locks a month: its 月报 when locked, else the 年报 when locked."""
    for found in (task, annual):
        if found is not None and is_locked(TaskState(found["state"])):
            return found
    return None


def month_status(engine: Engine, user: User, credit_code: str, year: int, month: int
                 ) -> dict[str, Any]:
    """The month form's header: ``task`` (the month's 月报 or None), ``locked`` and
    ``locked_state`` (the state of the task that locks it)."""
    with engine.connect() as conn:
        row = visible_institution(conn, user.scope, credit_code)
        tasks = task_figures.institution_tasks(conn, row.id, year)
    task = next((t for t in tasks if t["kind"] == "monthly" and t["month"] == month), None)
    locked_by = _lock(task, next((t for t in tasks if t["kind"] == "annual"), None))
    return {"task": _task_out(task, user), "locked": locked_by is not None,
            "locked_state": locked_by["state"] if locked_by is not None else None}


def year_grid(engine: Engine, user: User, credit_code: str, year: int) -> dict[str, Any]:
    """The year grid of an institution inside the caller's scope (else :class:`NotFound`).

    Returns ``institution`` (``credit_code, name, region_code, status``), ``year``,
    ``carriers`` (form order: code, names, canonical unit, ``kgce_per_unit``),
    ``months`` (1…12: ``values`` and ``last_year`` per carrier — quantity, cost, as
    typed —, ``totals`` and ``last_year_totals`` (``energy_tce``, ``cost_yuan``),
    ``locked``, ``task`` (the month's 月报 or None), ``metered`` (carrier → the metered
    figure, :func:`jieneng.services.metering.overrides.form_view`)), ``annual_task``, ``totals``
    per carrier (``quantity``, ``cost_yuan``, ``last_year_quantity``) and the
    year's ``energy_tce`` / ``cost_yuan`` (and last year's)."""
    _check_year(year)
    with engine.connect() as conn:
        row = visible_institution(conn, user.scope, credit_code)
        records = queries.current_records(
            conn, row.id, [(y, m) for y in (year - 1, year) for m in MONTHS])
        tasks = task_figures.institution_tasks(conn, row.id, year)
        metered = overrides.metered_of(conn, row.id, year, MONTHS)
    carriers = _carriers()
    kgce = {c["carrier"]: c["kgce_per_unit"] for c in carriers}
    annual = next((t for t in tasks if t["kind"] == "annual"), None)
    months = []
    for month in MONTHS:
        task = next((t for t in tasks if t["kind"] == "monthly" and t["month"] == month), None)
        values, before = _cells(records, year, month), _cells(records, year - 1, month)
        locked_by = _lock(task, annual)
        months.append({
            "month": month, "values": values, "last_year": before,
            "totals": _month_totals(values, kgce), "last_year_totals": _month_totals(before, kgce),
            "locked": locked_by is not None,
            "locked_state": locked_by["state"] if locked_by is not None else None,
            "task": _task_out(task, user),
            # 来自计量: the month's metered figures (read-only cells unless overridden)
            "metered": {c: overrides.form_view(fig, values.get(c))
                        for (m, c), fig in metered.items() if m == month},
        })
    return {
        "institution": {"credit_code": row.credit_code, "name": row.name,
                        "region_code": row.region_code, "status": row.status},
        "year": year, "carriers": carriers, "months": months,
        "annual_task": _task_out(annual, user),
        **_year_totals(months, carriers),
    }


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _year_totals(months: list[dict[str, Any]], carriers: list[dict[str, Any]]
                 ) -> dict[str, Any]:
    totals = {}
    for c in carriers:
        code = c["carrier"]
        totals[code] = {
            "quantity": _sum([m["values"][code]["quantity"] for m in months
                              if code in m["values"]]),
            "cost_yuan": _sum([m["values"][code]["cost_yuan"] for m in months
                               if code in m["values"]]),
            "last_year_quantity": _sum([m["last_year"][code]["quantity"] for m in months
                                        if code in m["last_year"]]),
        }
    return {
        "totals": totals,
        "energy_tce": _sum([m["totals"]["energy_tce"] for m in months]),
        "cost_yuan": _sum([m["totals"]["cost_yuan"] for m in months]),
        "last_year_energy_tce": _sum([m["last_year_totals"]["energy_tce"] for m in months]),
        "last_year_cost_yuan": _sum([m["last_year_totals"]["cost_yuan"] for m in months]),
    }


def save_year(engine: Engine, user: User, credit_code: str, year: int,
              months: dict[int, list[EntryValue]]) -> dict[str, Any]:
    """Store the typed months of the grid (months without a line are left out) in one
    transaction through :func:`jieneng.services.entry.entry.save_months`: an error in
    any month stores nothing, a locked month refuses the save (``Conflict``)."""
    require(user, Capability.ENTER_DATA)
    _check_year(year)
    typed = {m: values for m, values in months.items() if values}
    return save_months(engine, user.scope, credit_code, year, typed, actor=user.actor)


def submit_month(engine: Engine, user: User, credit_code: str, year: int, month: int, *,
                 version: int | None = None) -> dict[str, Any]:
    """上报 the month's 月报 (``month`` 0: the year's 年报) of an institution from the form;
    :class:`NotFound` when no period of that month is open for it."""
    require(user, Capability.SUBMIT)
    _check_year(year)
    with engine.connect() as conn:
        row = visible_institution(conn, user.scope, credit_code)
        tasks = task_figures.institution_tasks(conn, row.id, year)
    kind = "annual" if month == 0 else "monthly"
    task = next((t for t in tasks if t["kind"] == kind and t["month"] == month), None)
    if task is None:
        raise NotFound.of("entry.no_task", credit_code=row.credit_code, year=year, month=month)
    return workflow_tasks.act(engine, user, int(task["id"]), Action.SUBMIT, version=version)
