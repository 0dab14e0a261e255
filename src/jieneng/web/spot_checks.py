"""Spot checks (抽查) and the annual 会审 report.

Pages: ``/spot-checks`` (list and, for office accounts, the form that draws a
sample; CSRF token in every form), ``/spot-checks/{id}`` (items, the verify form,
accuracy per region), ``/review-report?region=&year=`` and its Word document
``/review-report.docx``. JSON twins under ``/api/v1``: ``spot-checks``,
``spot-checks/{id}``, ``spot-checks/{id}/verify``, ``review-report``. Rules, roles
and scope: :mod:`jieneng.services.quality.spot_checks`,
:mod:`jieneng.services.quality.review_report`. A refused form shows the page again
with the status the JSON twin answers (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.sampling import DEFAULT_SHARE
from jieneng.reports import review_report as review_document
from jieneng.services.quality import review_report as review
from jieneng.services.quality import spot_checks
from jieneng.services.statistics.periods import DEFAULT_MIN_APPROVED
from jieneng.web.common import (
    RegionQ,
    YearQ,
    blank,
    default_year,
    form_number,
    form_year,
    page,
    region_for,
    year_of,
)
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, get_settings, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import WHOLE_FORM, form_error
from jieneng.web.i18n import translate

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["spot checks"], responses=API_ERRORS)
LIST = "pages/spot_checks.html"
DETAIL = "pages/spot_check.html"

SpotCheckId = Annotated[int, Path(ge=1, le=2**31 - 1, description="抽查编号 spot check id")]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _office(user: User) -> bool:
    return user.can(Capability.SPOT_CHECK)


def _defaultform_year() -> int:
    """The 会审 looks at the year before."""
    return chinatime.today().year - 1



# ---------------------------------------------------------------- spot-check pages


def _list_context(
    engine: Engine, user: User, *, region: str | None, year: str | None,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    code = region_for(engine, user, region)
    data = spot_checks.list_spot_checks(engine, user.scope, region_code=blank(region),
                                        year=year_of(year))
    defaults = {"region_code": code, "year": str(_defaultform_year()),
                "share": str(DEFAULT_SHARE), "tolerance": str(spot_checks.DEFAULT_TOLERANCE),
                "seed": ""}
    return {
        "data": data, "office": _office(user), "form": {**defaults, **(form or {})},
        "errors": {}, "filters": {"region": region or "", "year": year or ""},
        "percent": review_document.percent,
    }


@router.get("/spot-checks")
def spot_checks_page(
    request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = None,
    year: YearQ = None,
) -> Response:
    return page(request, LIST, _list_context(engine, user, region=region, year=year))


@router.post("/spot-checks", dependencies=[requires(Capability.SPOT_CHECK)])
def create_spot_check(
    request: Request, user: CurrentUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
    share: Annotated[str, Form(max_length=20)] = str(DEFAULT_SHARE),
    tolerance: Annotated[str, Form(max_length=20)] = str(spot_checks.DEFAULT_TOLERANCE),
    seed: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Draw a sample (office accounts; audited) and show it."""
    form = {"region_code": region_code, "year": year, "share": share,
            "tolerance": tolerance, "seed": seed}
    try:
        if not seed.strip().isdigit() and seed.strip():
            raise ValidationFailed.of("web.invalid_seed", seed=seed, field="seed")
        check = spot_checks.create_spot_check(
            engine, user, region_code=region_code.strip(), year=form_year(year),
            share=form_number(share, "share"),
            tolerance=form_number(tolerance, "tolerance"),
            seed=int(seed) if seed.strip() else None)
    except DomainError as err:
        context = _list_context(engine, user, region=None, year=None, form=form)
        return form_error(request, LIST, context, err)
    return RedirectResponse(f"/spot-checks/{check['id']}", status_code=303)


def _detail_context(engine: Engine, user: User, spot_check_id: int) -> dict[str, Any]:
    data = spot_checks.get_spot_check(engine, user.scope, spot_check_id)
    return {"data": data, "office": _office(user), "errors": {},
            "percent": review_document.percent}


@router.get("/spot-checks/{spot_check_id}")
def spot_check_page(
    request: Request, spot_check_id: SpotCheckId, user: CurrentUser, engine: EngineDep,
) -> Response:
    return page(request, DETAIL, _detail_context(engine, user, spot_check_id))


@router.post("/spot-checks/{spot_check_id}/verify", dependencies=[requires(Capability.SPOT_CHECK)])
def verify_item(
    request: Request, spot_check_id: SpotCheckId, user: CurrentUser, engine: EngineDep,
    institution_id: Annotated[int, Form(ge=1)],
    carrier: Annotated[str, Form(max_length=24)],
    verified: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    """Record the verified annual quantity of one item (office accounts; audited)."""
    try:
        value = (None if not verified.strip()
                 else form_number(verified, "verified"))
        spot_checks.record_verified(engine, user, spot_check_id=spot_check_id,
                                    institution_id=institution_id, carrier_code=carrier,
                                    verified=value)
    except DomainError as err:
        return form_error(request, DETAIL, _detail_context(engine, user, spot_check_id), err,
                          at=WHOLE_FORM)
    return RedirectResponse(f"/spot-checks/{spot_check_id}", status_code=303)


# ---------------------------------------------------------------- 会审 report


def report_data(
    engine: Engine, user: User, *, region: str | None, year: str | None,
    min_approved: float = DEFAULT_MIN_APPROVED,
) -> dict[str, Any]:
    """The report of the page, the JSON twin and the Word document (default year: the
    last complete reviewed period's, :func:`jieneng.web.common.default_year`)."""
    code = region_for(engine, user, region)
    return review.review_report(
        engine, user.scope, region_code=code,
        year=year_of(year) or default_year(engine, user.scope, code, min_approved=min_approved))


@router.get("/review-report")
def review_report_page(
    request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = None,
    year: YearQ = None,
) -> Response:
    data = report_data(engine, user, region=region, year=year,
                       min_approved=get_settings(request).default_period_min_approved)
    lang = lang_of(request)
    return page(request, "pages/review_report.html", {
        "data": data, "percent": review_document.percent,
        "rule_titles": review_document.rule_titles(data, english=lang == "en"),
        "severity_label": lambda s: translate(lang, f"review.severity.{s}"),
    })


@router.get("/review-report.docx")
def review_report_document(
    request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = None,
    year: YearQ = None,
) -> Response:
    """The report as a Word document."""
    data = report_data(engine, user, region=region, year=year,
                       min_approved=get_settings(request).default_period_min_approved)
    lang = lang_of(request)
    body = review_document.review_report_docx(data, partial(translate, lang),
                                              english=lang == "en")
    name = f"{data['region_code']}-{data['year']}-会审报告.docx"
    return Response(body, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"review-report.docx\"; "
                               f"filename*=UTF-8''{quote(name)}"})


# ---------------------------------------------------------------- JSON twins


class SpotCheckIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$", description="行政区划代码 (its subtree)")
    year: int = Field(ge=spot_checks.MIN_YEAR, le=spot_checks.MAX_YEAR, description="年度")
    share: float = Field(DEFAULT_SHARE, gt=0, le=1, description="抽查比例 per category")
    tolerance: float = Field(spot_checks.DEFAULT_TOLERANCE, ge=0, le=1,
                             description="允许误差 (relative)")
    seed: int | None = Field(None, ge=0, le=2**62, description="随机种子; drawn when omitted")


class VerifyIn(BaseModel):
    institution_id: int = Field(ge=1)
    carrier: str = Field(max_length=24, description="能源品种代码 carrier code")
    verified: float | None = Field(ge=0, description="核实值 [canonical unit]; null clears")


class AccuracyRowOut(BaseModel):
    region_code: str | None
    region_name: str
    sampled: int
    verified: int
    accurate: int
    accuracy_rate: float | None


class AccuracyOut(BaseModel):
    regions: list[AccuracyRowOut]
    total: AccuracyRowOut


class SpotCheckItemOut(BaseModel):
    institution_id: int
    credit_code: str
    name: str
    region_code: str
    category: str
    category_name: str
    carrier: str
    carrier_name: str
    carrier_name_en: str
    unit: str
    reported: float | None
    verified: float | None
    deviation: float | None
    within_tolerance: bool | None
    verified_at: str | None


class _SpotCheckHead(BaseModel):
    """What a spot check is: shared by the list and the detail."""

    id: int
    region_code: str
    region_name: str
    year: int
    seed: int
    share: float
    tolerance: float
    created_at: str


class SpotCheckOut(_SpotCheckHead):
    institutions: int
    items: list[SpotCheckItemOut]
    accuracy: AccuracyOut


class SpotCheckSummaryOut(_SpotCheckHead):
    sampled: int
    verified: int
    accurate: int
    accuracy_rate: float | None


class SpotChecksOut(BaseModel):
    items: list[SpotCheckSummaryOut]


@api.get("/spot-checks", response_model=SpotChecksOut)
def api_spot_checks(
    user: CurrentUser, engine: EngineDep, region: RegionQ = None, year: YearQ = None,
) -> dict[str, Any]:
    """The spot checks visible to the caller, with their accuracy."""
    return spot_checks.list_spot_checks(engine, user.scope, region_code=blank(region),
                                        year=year_of(year))


@api.post("/spot-checks", dependencies=[requires(Capability.SPOT_CHECK)], status_code=201,
                 response_model=SpotCheckOut)
def api_create_spot_check(body: SpotCheckIn, user: CurrentUser,
                          engine: EngineDep) -> dict[str, Any]:
    """Draw a stratified sample of approved reports (office accounts; audited)."""
    return spot_checks.create_spot_check(
        engine, user, region_code=body.region_code, year=body.year, share=body.share,
        tolerance=body.tolerance, seed=body.seed)


@api.get("/spot-checks/{spot_check_id}", response_model=SpotCheckOut)
def api_spot_check(spot_check_id: SpotCheckId, user: CurrentUser,
                   engine: EngineDep) -> dict[str, Any]:
    """A spot check: items inside the caller's scope and accuracy per region."""
    return spot_checks.get_spot_check(engine, user.scope, spot_check_id)


@api.post("/spot-checks/{spot_check_id}/verify",
                 dependencies=[requires(Capability.SPOT_CHECK)], response_model=SpotCheckOut)
def api_verify(spot_check_id: SpotCheckId, body: VerifyIn, user: CurrentUser,
               engine: EngineDep) -> dict[str, Any]:
    """Record a verified annual quantity (office accounts; audited)."""
    return spot_checks.record_verified(
        engine, user, spot_check_id=spot_check_id, institution_id=body.institution_id,
        carrier_code=body.carrier, verified=body.verified)


class CompletenessRowOut(BaseModel):
    region_code: str
    region_name: str
    expected: int
    reported: int
    approved: int
    not_due: int = Field(default=0, description="the year's tasks not yet due: in no rate")
    reporting_rate: float | None
    approval_rate: float | None


class CompletenessOut(BaseModel):
    periods: dict[str, int] = Field(description="reporting periods of the year per kind")
    regions: list[CompletenessRowOut]
    total: CompletenessRowOut
    as_of: str | None = Field(default=None, description="the day the tasks counted were due "
                                                        "by (ended, past the deadline)")


class FindingCountsOut(BaseModel):
    open: int
    explained: int
    resolved: int
    total: int


class RuleFindingsOut(FindingCountsOut):
    rule: str
    title: str
    title_en: str
    severity: str


class ReviewFindingsOut(BaseModel):
    rules: list[RuleFindingsOut]
    total: FindingCountsOut


class UnresolvedOut(BaseModel):
    institution_id: int
    credit_code: str
    name: str
    region_code: str
    open_warnings: int
    rules: list[str]


class RegionAccuracyOut(AccuracyOut):
    spot_checks: int


class ReviewReportOut(BaseModel):
    region_code: str
    region_name: str
    year: int
    completeness: CompletenessOut
    findings: ReviewFindingsOut
    unresolved_warnings: list[UnresolvedOut]
    accuracy: RegionAccuracyOut


@api.get("/review-report", response_model=ReviewReportOut)
def api_review_report(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep, region: RegionQ = None,
    year: YearQ = None,
) -> dict[str, Any]:
    """The 会审 report of a region and year (default: the caller's region, the last
    complete reviewed period's year)."""
    return report_data(engine, user, region=region, year=year,
                       min_approved=settings.default_period_min_approved)
