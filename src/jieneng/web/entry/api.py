"""The monthly form's JSON twin (:mod:`jieneng.web.entry`): ``/api/v1/entry/{code}/
{year}/{month}`` — ``GET`` the form's data, ``POST …/check`` and ``POST`` save."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from jieneng.core.permissions import Capability
from jieneng.services.entry import entry
from jieneng.services.entry.entry_checks import EntryValue
from jieneng.services.workflow import notices
from jieneng.web.common import CreditCode
from jieneng.web.deps import EngineDep, WriterUser, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.schemas import StoredBriefOut

from .common import MonthP, YearP

api = APIRouter(prefix="/api/v1", tags=["entry"], responses=API_ERRORS)


class EntryLine(BaseModel):
    """One carrier's figure as typed: quantity, unit (default: the form unit), cost [元]."""

    carrier: str = Field(max_length=40, examples=["electricity"])
    value: float | str | None = Field(default=None, examples=["12,345"])
    unit: str | None = Field(default=None, max_length=20, examples=["万kWh"])
    cost_yuan: float | str | None = Field(default=None, examples=[9800])
    reason: str | None = Field(default=None, max_length=500,
                               description="覆盖原因 why a metered figure is overridden")


class EntryIn(BaseModel):
    values: list[EntryLine] = Field(max_length=50)


def _values(body: EntryIn) -> list[EntryValue]:
    return [EntryValue(v.carrier, _short(v.value), v.unit, _short(v.cost_yuan))
            for v in body.values]


def _short(value: float | str | None) -> float | str | None:
    return value[:40] if isinstance(value, str) else value


class EntryInstitutionOut(BaseModel):
    credit_code: str = Field(description="统一社会信用代码 credit code")
    name: str = Field(description="单位名称 name")
    region_code: str = Field(description="行政区划代码 region code")
    status: str = Field(description="状态 status (在用, …)")


class PeriodRefOut(BaseModel):
    year: int
    month: int


class ThresholdsOut(BaseModel):
    mom: float = Field(description="环比 jump warning above this fraction of the previous month")
    yoy: float = Field(description="同比 jump warning above this fraction of last year's month")


class EntryOverrideOut(BaseModel):
    quantity: float = Field(description="the value entered instead")
    metered_quantity: float | None = Field(description="the metered value overridden")
    reason: str
    by: str
    at: str | None


class EntryMeteredOut(BaseModel):
    """来自计量: the month's metered figure of a carrier and where it came from."""

    quantity: float = Field(description="metered quantity in the canonical unit")
    origin: str = Field(description="accounts (户号) or meters (计量表)")
    completeness: float | None = Field(description="share of the expected data received")
    source_zh: str
    source_en: str
    applied: bool = Field(description="the stored figure is the metered one")
    differs: bool = Field(description="the stored figure differs from the metered one")
    shown: bool
    override: EntryOverrideOut | None = Field(description="覆盖 the open override, if any")


class EntryFieldOut(BaseModel):
    """One carrier of the form, with what is stored for the month (None: nothing)."""

    carrier: str = Field(examples=["electricity"])
    name_zh: str
    name_en: str
    form_field: str
    unit: str = Field(description="canonical unit")
    unit_zh: str
    accepted_units: list[str] = Field(description="units accepted, canonical first")
    vehicle: bool = Field(description="a vehicle fuel (车辆用油)")
    counts_in_energy: bool = Field(description="counted in 综合能耗 energy use")
    value: str | None = Field(description="the stored figure as typed")
    unit_entered: str | None = Field(description="the stored unit as typed")
    quantity: float | None = Field(description="stored quantity in the canonical unit")
    cost_yuan: float | None = Field(description="stored cost [元]")
    revision: int | None = Field(description="修订号 revision of the stored record")
    source: str | None = Field(description="manual, file, meter, grid or demo")
    recorded_at: str | None = Field(description="when the stored record was written (ISO)")
    previous_month: StoredBriefOut | None = Field(description="上月 the previous month's record")
    same_month_last_year: StoredBriefOut | None = Field(description="去年同月 record")
    metered: EntryMeteredOut | None = Field(
        default=None, description="来自计量 the month's metered figure, None: not metered")


class EntryQuestionOut(BaseModel):
    id: int
    month: int
    carrier: str
    carrier_zh: str
    carrier_en: str
    question: str
    asked_by: str | None
    asked_at: str


class EntryReturnOut(BaseModel):
    action: str = Field(description="return, dept_return or reopen")
    reason: str | None
    by: str | None
    at: str


class EntryNoticeOut(BaseModel):
    """A task covering the month that asks something of the filer (the form's banner)."""

    task_id: int
    state: str
    kind: str
    period: str
    period_label: str
    deadline: str
    link: str
    returned: EntryReturnOut | None = Field(description="sent back and not submitted since")
    questions: list[EntryQuestionOut] = Field(description="unanswered questions of the month")


class EntryFormOut(BaseModel):
    institution: EntryInstitutionOut
    year: int
    month: int
    previous_period: PeriodRefOut
    last_year_period: PeriodRefOut
    thresholds: ThresholdsOut
    fields: list[EntryFieldOut] = Field(description="every carrier, in form order")
    notices: list[EntryNoticeOut] = Field(
        default_factory=list, description="退回原因 and open questions of the month's tasks")


@api.get("/entry/{credit_code}/{year}/{month}", response_model=EntryFormOut)
def entry_form(
    credit_code: CreditCode, year: YearP, month: MonthP, user: WriterUser, engine: EngineDep,
) -> dict[str, Any]:
    """The monthly form of an institution, with the return reasons and open questions
    of the tasks covering the month (the page's banner)."""
    return {**entry.entry_form(engine, user.scope, credit_code, year, month),
            "notices": notices.entry_notices(engine, user, credit_code, year, month)}


class EntryFindingOut(BaseModel):
    code: str
    field: str
    carrier: str
    message_zh: str
    message_en: str
    # free-form by nature: the figures each finding code quotes (values, limits, units)
    details: dict[str, Any]
    severity: str


class EntryCheckOut(BaseModel):
    findings: list[EntryFindingOut]
    errors: int


@api.post("/entry/{credit_code}/{year}/{month}/check",
             dependencies=[requires(Capability.ENTER_DATA)], response_model=EntryCheckOut)
def entry_check(
    credit_code: CreditCode, year: YearP, month: MonthP, body: EntryIn, user: WriterUser,
    engine: EngineDep,
) -> dict[str, Any]:
    """The findings on the figures (errors and jump warnings); nothing is stored."""
    findings = entry.check_entry(engine, user.scope, credit_code, year, month, _values(body))
    return {"findings": [f.to_dict() for f in findings],
            "errors": sum(f.severity == "error" for f in findings)}


class EntrySavedOut(BaseModel):
    institution: str = Field(description="统一社会信用代码 credit code")
    year: int
    month: int
    user: str
    inserted: int
    revised: int
    unchanged: int
    warnings: list[EntryFindingOut]


@api.post("/entry/{credit_code}/{year}/{month}", dependencies=[requires(Capability.ENTER_DATA)],
             response_model=EntrySavedOut)
def entry_save(
    credit_code: CreditCode, year: YearP, month: MonthP, body: EntryIn, user: WriterUser,
    engine: EngineDep,
) -> dict[str, Any]:
    """Check and store the month's figures (a changed figure becomes a new revision)."""
    return entry.save_entry(engine, user.scope, credit_code, year, month, _values(body),
                            actor=user.actor,
                            reasons={v.carrier: v.reason for v in body.values if v.reason})
