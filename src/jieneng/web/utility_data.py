"""Utility files (户号 daily quantity and bills): upload page and JSON.

Page ``/metering/utility``: upload a daily file or a billing file (dry run or import,
all or nothing; the first 200 problems listed with row, column and message), the two
templates (``/metering/utility/daily-kwh.xlsx``, ``/metering/utility/bills.xlsx``).
JSON: ``GET /api/v1/metering/accounts/{carrier}/{number}/days?from=&to=&history=`` and
``…/bills?history=`` — one account's days and bills with their earlier revisions,
for a caller who may see an institution the account is (was) bound to; another
answer is 404, the same as for an account that does not exist. The per-region month
rule: ``GET /api/v1/metering/month-rule?region=``, ``POST /api/v1/metering/month-rule``
and the page's form ``POST /metering/utility/rule`` (``configure_rules``).
Services: :mod:`jieneng.services.metering.utility`.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.permissions import Capability
from jieneng.ingest.templates import write_template
from jieneng.services.metering.utility import (
    account_bills,
    account_days,
    import_bills,
    import_days,
)
from jieneng.services.metering.utility_months import MonthRule, month_rule, set_month_rule
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render
from jieneng.web.uploads import SizeChecked, read_upload, saved_upload, upload_requires

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["metering"], responses=API_ERRORS)
TEMPLATE = "pages/utility_data.html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("daily-kwh", "bills")
CarrierP = Annotated[str, Field(max_length=32)]
NumberP = Annotated[str, Field(max_length=64)]
SHOWN = 200


SOURCE_ORDERS = ("daily_first", "bills_first")
ALLOCATIONS = ("daily", "days", "end_month")


def _context() -> dict[str, Any]:
    return {"kinds": KINDS, "kind": "daily-kwh", "source_orders": SOURCE_ORDERS,
            "allocations": ALLOCATIONS}


def _rule_dict(rule: MonthRule, region_code: str) -> dict[str, Any]:
    return {"region_code": region_code, "source_order": rule.source_order,
            "allocation": rule.allocation.value, "set_at": rule.region_code}


@router.get("/metering/utility", dependencies=[requires(Capability.IMPORT_DATA)])
def utility_page(request: Request, user: CurrentUser) -> Response:
    return render(request, TEMPLATE, _context())


def _template(kind: str) -> Response:
    with tempfile.TemporaryDirectory(prefix="jieneng-template-") as folder:
        content = write_template(kind, Path(folder) / f"{kind}.xlsx").read_bytes()
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="jieneng-{kind}-template.xlsx"'})


@router.get("/metering/utility/daily-kwh.xlsx", dependencies=[requires(Capability.IMPORT_DATA)])
def daily_template(user: CurrentUser) -> Response:
    return _template("daily-kwh")


@router.get("/metering/utility/bills.xlsx", dependencies=[requires(Capability.IMPORT_DATA)])
def bills_template(user: CurrentUser) -> Response:
    return _template("bills")


@router.post("/metering/utility", dependencies=upload_requires(Capability.IMPORT_DATA))
async def utility_upload(request: Request, _size: SizeChecked, user: CurrentUser,
                         engine: EngineDep, settings: SettingsDep) -> Response:
    context = _context()
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        kind = fields.get("kind", "daily-kwh")
        context["kind"] = kind if kind in KINDS else "daily-kwh"
        run = import_bills if kind == "bills" else import_days
        dry_run = fields.get("dry_run") == "1"
        report = await run_in_threadpool(
            saved_upload, name, content,
            lambda path: run(engine, user, path, dry_run=dry_run,
                             max_bytes=settings.max_upload_bytes))
        context["report"] = report.to_dict()
    except ImportRejected as err:
        status = 422
        context["rejected"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues[:SHOWN]]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, TEMPLATE, context, err)
    return await run_in_threadpool(render, request, TEMPLATE, context, status_code=status)


@router.post("/metering/utility/rule", dependencies=[requires(Capability.CONFIGURE_RULES)])
def utility_rule(request: Request, user: CurrentUser, engine: EngineDep,
                 region_code: Annotated[str, Form(max_length=6, pattern=r"^[0-9]{6}$")],
                 source_order: Annotated[str, Form(max_length=16)],
                 allocation: Annotated[str, Form(max_length=16)]) -> Response:
    """Set a region's month rule (billing periods → calendar months)."""
    context = _context()
    try:
        rule = set_month_rule(engine, user, region_code, source_order=source_order,
                              allocation=allocation)
    except DomainError as err:
        return form_error(request, TEMPLATE, context, err)
    context["rule"] = _rule_dict(rule, region_code)
    return render(request, TEMPLATE, context)


class MonthRuleIn(BaseModel):
    region_code: str = Field(pattern=r"^[0-9]{6}$")
    source_order: str = Field(max_length=16, description="daily_first / bills_first")
    allocation: str = Field(max_length=16, description="daily / days / end_month")


class MonthRuleOut(BaseModel):
    region_code: str
    source_order: str = Field(description="daily_first / bills_first")
    allocation: str = Field(description="daily / days / end_month")
    set_at: str | None = Field(description="the region whose setting applies (None: default)")


@api.get("/metering/month-rule", response_model=MonthRuleOut,
         dependencies=[requires(Capability.VIEW_METERING)])
def month_rule_json(user: CurrentUser, engine: EngineDep,
                    region: Annotated[str, Query(pattern=r"^[0-9]{6}$")]) -> dict[str, Any]:
    """The month rule in force for a region (its own, inherited, or the default)."""
    return _rule_dict(month_rule(engine, user.scope, region), region)


@api.post("/metering/month-rule", response_model=MonthRuleOut,
          dependencies=[requires(Capability.CONFIGURE_RULES)])
def month_rule_set_json(body: MonthRuleIn, user: CurrentUser, engine: EngineDep
                        ) -> dict[str, Any]:
    """Set a region's month rule (capability ``configure_rules``, the region in scope)."""
    rule = set_month_rule(engine, user, body.region_code, source_order=body.source_order,
                          allocation=body.allocation)
    return _rule_dict(rule, body.region_code)


class DayOut(BaseModel):
    day: str
    quantity: float = Field(description="kWh (water, gas: m³)")
    tip: float | None = Field(description="尖")
    peak: float | None = Field(description="峰")
    flat: float | None = Field(description="平")
    valley: float | None = Field(description="谷")
    revision: int
    current: bool
    import_id: int | None
    received_at: str | None
    replaced_at: str | None = Field(description="when a later file replaced it")


class DaysOut(BaseModel):
    carrier: str
    account: str = Field(description="户号")
    from_: str = Field(alias="from")
    to: str
    days: list[DayOut]
    revisions: list[DayOut] = Field(description="values later files replaced")


class BillOut(BaseModel):
    period_start: str = Field(description="账期起 (inclusive)")
    period_end: str = Field(description="账期止 (inclusive)")
    quantity: float
    cost_yuan: float | None = Field(description="电费 [元]")
    read_date: str | None
    bill_number: str | None
    revision: int
    current: bool
    import_id: int | None
    recorded_at: str | None


class BillsOut(BaseModel):
    carrier: str
    account: str
    bills: list[BillOut] = Field(description="the current revision of each bill")
    revisions: list[BillOut] = Field(description="earlier revisions")


@api.get("/metering/accounts/{carrier}/{number}/days", response_model=DaysOut,
         response_model_by_alias=True, dependencies=[requires(Capability.VIEW_METERING)])
def account_days_json(carrier: str, number: str, user: CurrentUser, engine: EngineDep,
                      first: Annotated[date | None, Query(alias="from")] = None,
                      last: Annotated[date | None, Query(alias="to")] = None,
                      history: bool = False) -> dict[str, Any]:
    """An account's daily quantity in [from, to] (default: the last 31 days), while bound
    to an institution the caller may see; ``history`` adds the replaced values."""
    return account_days(engine, user, carrier[:32], number[:64], first=first, last=last,
                        history=history)


@api.get("/metering/accounts/{carrier}/{number}/bills", response_model=BillsOut,
         dependencies=[requires(Capability.VIEW_METERING)])
def account_bills_json(carrier: str, number: str, user: CurrentUser, engine: EngineDep,
                       history: bool = True) -> dict[str, Any]:
    """An account's bills (账期, quantity, 电费), each current revision and, with
    ``history``, the earlier ones."""
    return account_bills(engine, user, carrier[:32], number[:64], history=history)
