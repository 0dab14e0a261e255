"""The year grid of 数据填报 (like a spreadsheet) and the form's 上报.

``GET /entry/{code}/{year}`` shows 12 months × carriers (quantity in the carrier's
unit and cost), last year's figure under each cell, the totals of every month
(综合能耗, cost) and carrier, the month's task state; months whose report is
submitted or approved are read-only. ``static/entry-grid.js`` adds paste from
Excel (tab-separated rows from the focused cell), arrow / Enter / Tab navigation,
live totals and a draft in ``localStorage`` that survives an expired session.
``POST`` saves the changed cells of every month at once through the entry service
(the monthly form's checks; errors: nothing stored, 422; warnings: confirm first).
``POST /entry/{code}/{year}/{month}/submit`` 上报s the month's task (``month`` 0:
the 年报). JSON twins under ``/api/v1`` + the same paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.entry import entry
from jieneng.services.entry import year as years
from jieneng.services.entry.entry_checks import EntryFinding, EntryValue
from jieneng.web.common import CreditCode, blank, page
from jieneng.web.deps import EngineDep, WriterUser, requires
from jieneng.web.entry_year import plain
from jieneng.web.entry_year.schemas import SubmitIn, SubmittedOut, YearGridOut, YearIn, YearSavedOut
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import WHOLE_FORM, form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["entry"], responses=API_ERRORS)
GRID = "pages/entry_year.html"

YearP = Annotated[int, Path(ge=1900, le=2200, description="年 year")]
TaskMonthP = Annotated[int, Path(ge=0, le=12, description="月 month (0: the 年报)")]
MAX_TEXT = 40
#: carriers always shown in the grid; the others when they hold figures (or ?all=1)
ALWAYS = ("electricity", "water")


def _typed(form: Mapping[str, Any], name: str) -> str:
    raw = form.get(name)
    return (blank(raw[:MAX_TEXT]) or "") if isinstance(raw, str) else ""


def changed_months(form: Mapping[str, Any], grid: dict[str, Any]) -> dict[int, list[EntryValue]]:
    """The grid's lines (``q_<month>_<carrier>``, ``c_<month>_<carrier>``) that differ
    from what is stored; a blank cell changes nothing."""
    out: dict[int, list[EntryValue]] = {}
    for m in grid["months"]:
        lines = []
        for c in CARRIERS:
            stored = m["values"].get(c.code, {})
            key = f"{m['month']}_{c.code}"
            q, cost = _typed(form, f"q_{key}"), _typed(form, f"c_{key}")
            if not q and not cost:
                continue
            if q == plain(stored.get("quantity")) and cost in ("", plain(stored.get("cost_yuan"))):
                continue
            lines.append(EntryValue(c.code, q or None, None, cost or None))
        if lines:
            out[m["month"]] = lines
    return out


def _shown(grid: dict[str, Any], show_all: bool) -> list[dict[str, Any]]:
    used = {code for m in grid["months"] for part in ("values", "last_year") for code in m[part]}
    return [c for c in grid["carriers"]
            if show_all or c["carrier"] in ALWAYS or c["carrier"] in used]


def grid_context(grid: dict[str, Any], *, form: Mapping[str, Any] | None = None,
                 findings: dict[int, list[EntryFinding]] | None = None, show_all: bool = False,
                 **extra: Any) -> dict[str, Any]:
    """The page's context: the grid, the cells' texts (typed, else stored) and findings."""
    cells: dict[str, str] = {}
    for m in grid["months"]:
        for c in grid["carriers"]:
            stored = m["values"].get(c["carrier"], {})
            for prefix, key in (("q", "quantity"), ("c", "cost_yuan")):
                name = f"{prefix}_{m['month']}_{c['carrier']}"
                cells[name] = (_typed(form, name) if form is not None and not m["locked"]
                               else plain(stored.get(key)))
    found = findings or {}
    by_cell: dict[str, list[dict[str, Any]]] = {}
    listed = []
    for month, items in sorted(found.items()):
        for f in items:
            part = "q" if f.field.endswith(".value") or "." not in f.field else "c"
            by_cell.setdefault(f"{part}_{month}_{f.carrier}", []).append(f.to_dict())
            listed.append({**f.to_dict(), "month": month})
    return {"data": grid, "shown": _shown(grid, show_all), "cells": cells, "by_cell": by_cell,
            "findings": listed, "show_all": show_all,
            "has_errors": any(f["severity"] == "error" for f in listed), **extra}


def _render(request: Request, engine: Engine, user: User, credit_code: str, y: int, *,
            status_code: int = 200, **context: Any) -> Response:
    grid = years.year_grid(engine, user, credit_code, y)
    return page(request, GRID, grid_context(grid, **context), status_code=status_code)


def _saved(text: str | None) -> dict[str, int] | None:
    parts = (text or "").split("-")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    return dict(zip(("inserted", "revised", "unchanged", "warnings"), map(int, parts),
                    strict=True))


@router.get("/entry/{credit_code}/{year}")
def grid_page(
    request: Request, credit_code: CreditCode, year: YearP, user: WriterUser,
    engine: EngineDep, all: Annotated[bool, Query()] = False,
    saved: Annotated[str | None, Query(max_length=40)] = None,
    submitted: Annotated[int | None, Query(ge=0, le=12)] = None,
) -> Response:
    """The year grid of an institution."""
    return _render(request, engine, user, credit_code, year, show_all=all,
                   saved=_saved(saved), submitted=submitted)


def save_grid(request: Request, engine: Engine, user: User, credit_code: str, y: int,
              form: Mapping[str, Any]) -> Response:
    """Check the changed months; save unless there are errors or unconfirmed warnings."""
    grid = years.year_grid(engine, user, credit_code, y)
    show_all = form.get("all") == "1"
    months = changed_months(form, grid)
    locked = {m["month"] for m in grid["months"] if m["locked"]} & set(months)
    findings = (entry.check_months(engine, user.scope, credit_code, y, months)
                if months and not locked else {})  # a locked month: the save refuses it
    flat = [f for items in findings.values() for f in items]
    if any(f.severity == "error" for f in flat):
        return page(request, GRID, grid_context(grid, form=form, findings=findings,
                                                show_all=show_all), status_code=422)
    if flat and form.get("confirm") != "1":
        return page(request, GRID, grid_context(grid, form=form, findings=findings,
                                                show_all=show_all, confirm=True))
    try:
        result = years.save_year(engine, user, credit_code, y, months)
    except DomainError as err:  # a month locked meanwhile: the grid again, as the twin
        context = grid_context(grid, form=form, findings=findings, show_all=show_all)
        return form_error(request, GRID, context, err, at=WHOLE_FORM)
    target = (f"/entry/{credit_code}/{y}?saved={result['inserted']}-{result['revised']}"
              f"-{result['unchanged']}-{len(result['warnings'])}" + ("&all=1" if show_all else ""))
    return RedirectResponse(target, status_code=303)


@router.post("/entry/{credit_code}/{year}", dependencies=[requires(Capability.ENTER_DATA)])
async def grid_save_form(
    request: Request, credit_code: CreditCode, year: YearP, user: WriterUser,
    engine: EngineDep,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(save_grid, request, engine, user, credit_code, year, form)


@router.post("/entry/{credit_code}/{year}/{month}/submit",
             dependencies=[requires(Capability.SUBMIT)])
async def submit_form(
    request: Request, credit_code: CreditCode, year: YearP, month: TaskMonthP,
    user: WriterUser, engine: EngineDep,
) -> Response:
    """上报 from the form; back to the month form (``back=month``) or the grid."""
    form = await request.form()
    raw = form.get("version")
    version = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    back_to_month = form.get("back") == "month" and month > 0
    try:
        await run_in_threadpool(years.submit_month, engine, user, credit_code, year, month,
                                version=version)
    except DomainError as err:
        grid = await run_in_threadpool(years.year_grid, engine, user, credit_code, year)
        return form_error(request, GRID, grid_context(grid), err, at=WHOLE_FORM)
    target = (f"/entry/{credit_code}/{year}/{month}?submitted=1" if back_to_month
              else f"/entry/{credit_code}/{year}?submitted={month}")
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------- JSON twins
@api.get("/entry/{credit_code}/{year}", response_model=YearGridOut)
def year_grid(credit_code: CreditCode, year: YearP, user: WriterUser, engine: EngineDep,
              all: Annotated[bool, Query()] = False,
              ) -> dict[str, Any]:
    """The year grid: 12 months × carriers, last year, totals, tasks and locked months."""
    return years.year_grid(engine, user, credit_code, year)


@api.post("/entry/{credit_code}/{year}", dependencies=[requires(Capability.ENTER_DATA)],
          response_model=YearSavedOut)
def year_save(credit_code: CreditCode, year: YearP, body: YearIn, user: WriterUser,
              engine: EngineDep) -> dict[str, Any]:
    """Check and store several months at once (all or nothing; warnings do not block)."""
    months = {m.month: [EntryValue(v.carrier, _short(v.value), v.unit, _short(v.cost_yuan))
                        for v in m.values] for m in body.months}
    return years.save_year(engine, user, credit_code, year, months)


def _short(value: float | str | None) -> float | str | None:
    return value[:MAX_TEXT] if isinstance(value, str) else value


@api.post("/entry/{credit_code}/{year}/{month}/submit",
          dependencies=[requires(Capability.SUBMIT)], response_model=SubmittedOut)
def submit(credit_code: CreditCode, year: YearP, month: TaskMonthP, user: WriterUser,
           engine: EngineDep, body: SubmitIn | None = None) -> dict[str, Any]:
    """上报 the month's task (0: the 年报) of an institution."""
    return years.submit_month(engine, user, credit_code, year, month,
                             version=body.version if body else None)
