"""Data entry (数据填报): the monthly form of one institution.

``GET /entry`` picks an institution and a month; ``GET /entry/{code}/{year}/{month}``
shows every carrier with its unit selector and cost, the previous month and the
same month last year beside each input; ``POST …/check`` (htmx) returns the
findings before saving; ``POST …`` saves. A save whose figures jump beyond the
thresholds is shown back with the warnings and asks for confirmation first;
invalid values are shown beside their field and nothing is stored. Only roles
that may write reach these pages (:data:`jieneng.web.deps.WriterUser`); the
session's CSRF token is checked on every POST by the same dependency.

JSON twin: ``/api/v1/entry/{code}/{year}/{month}`` (:mod:`jieneng.web.api.entry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.carriers import CARRIERS
from jieneng.core.permissions import Capability
from jieneng.services.accounts.users import User
from jieneng.services.directory import directory
from jieneng.services.entry import entry
from jieneng.services.entry.entry_checks import EntryFinding, EntryValue
from jieneng.web.common import CreditCode, blank, page, previous_month
from jieneng.web.deps import EngineDep, WriterUser, requires

router = APIRouter(include_in_schema=False)

YearP = Annotated[int, Path(ge=1900, le=2200, description="年 year")]
MonthP = Annotated[int, Path(ge=1, le=12, description="月 month")]
MAX_TEXT = 40


def values_from_form(form: Mapping[str, Any]) -> list[EntryValue]:
    """The form's lines (``v_<carrier>``, ``u_<carrier>``, ``c_<carrier>``) as
    entry values; a line with neither quantity nor cost is left out."""
    values = []
    for c in CARRIERS:
        value = _field(form, f"v_{c.code}")
        cost = _field(form, f"c_{c.code}")
        if value is None and cost is None:
            continue
        values.append(EntryValue(c.code, value, _field(form, f"u_{c.code}"), cost))
    return values


def _field(form: Mapping[str, Any], name: str) -> str | None:
    raw = form.get(name)
    return blank(raw[:MAX_TEXT]) if isinstance(raw, str) else None


def _typed(form: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """What the user typed, to show it back unchanged."""
    if form is None:
        return {}
    return {c.code: {"value": _field(form, f"v_{c.code}") or "",
                     "unit": _field(form, f"u_{c.code}") or "",
                     "cost": _field(form, f"c_{c.code}") or ""} for c in CARRIERS}


def _by_field(findings: list[EntryFinding]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        out.setdefault(f.field, []).append(f.to_dict())
    return out


def render_form(
    request: Request, engine: Engine, user: User, credit_code: str, year: int, month: int,
    *, form: Mapping[str, Any] | None = None, findings: list[EntryFinding] | None = None,
    confirm: bool = False, saved: dict[str, Any] | None = None, status_code: int = 200,
) -> Response:
    data = entry.entry_form(engine, user.scope, credit_code, year, month)
    found = findings or []
    return page(request, "pages/entry.html", {
        "data": data, "typed": _typed(form), "findings": [f.to_dict() for f in found],
        "by_field": _by_field(found), "confirm": confirm, "saved": saved,
        "has_errors": any(f.severity == "error" for f in found),
    }, status_code=status_code)


def submit(
    request: Request, engine: Engine, user: User, credit_code: str, year: int, month: int,
    form: Mapping[str, Any],
) -> Response:
    """Check, then save unless there are errors or unconfirmed warnings."""
    values = values_from_form(form)
    findings = entry.check_entry(engine, user.scope, credit_code, year, month, values)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        return render_form(request, engine, user, credit_code, year, month, form=form,
                           findings=findings, status_code=422)
    if findings and form.get("confirm") != "1":
        return render_form(request, engine, user, credit_code, year, month, form=form,
                           findings=findings, confirm=True)
    result = entry.save_entry(engine, user.scope, credit_code, year, month, values,
                              user=user.username, actor=user.actor)
    target = (f"/entry/{credit_code}/{year}/{month}?saved={result['inserted']}"
              f"-{result['revised']}-{result['unchanged']}")
    return RedirectResponse(target, status_code=303)


def _saved(text: str | None) -> dict[str, int] | None:
    parts = (text or "").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return dict(zip(("inserted", "revised", "unchanged"), map(int, parts), strict=True))


@router.get("/entry")
def entry_start(
    request: Request, user: WriterUser, engine: EngineDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Choose an institution (searching my scope) and a month."""
    found = directory.search_institutions(engine, user.scope, q=blank(q), per_page=20)
    year, month = previous_month()
    return page(request, "pages/entry_start.html",
                {"data": found, "q": q or "", "year": year, "month": month})


@router.get("/entry/{credit_code}/{year}/{month}")
def entry_page(
    request: Request, credit_code: CreditCode, year: YearP, month: MonthP,
    user: WriterUser, engine: EngineDep,
    saved: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return render_form(request, engine, user, credit_code, year, month, saved=_saved(saved))


@router.post("/entry/{credit_code}/{year}/{month}/check",
             dependencies=[requires(Capability.ENTER_DATA)])
async def entry_check(
    request: Request, credit_code: CreditCode, year: YearP, month: MonthP,
    user: WriterUser, engine: EngineDep,
) -> Response:
    """The findings partial (htmx): what saving would warn about, nothing stored."""
    form = await request.form()
    values = values_from_form(form)
    findings = await run_in_threadpool(
        entry.check_entry, engine, user.scope, credit_code, year, month, values)
    context = {"findings": [f.to_dict() for f in findings], "confirm": bool(findings),
               "has_errors": any(f.severity == "error" for f in findings), "checked": True}
    return await run_in_threadpool(page, request, "pages/_entry_findings.html", context)


@router.post("/entry/{credit_code}/{year}/{month}", dependencies=[requires(Capability.ENTER_DATA)])
async def entry_save(
    request: Request, credit_code: CreditCode, year: YearP, month: MonthP,
    user: WriterUser, engine: EngineDep,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(submit, request, engine, user, credit_code, year, month,
                                   form)
