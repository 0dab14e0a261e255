"""Data-quality findings (数据审核).

Page ``/quality`` (findings of my scope, filters by rule/severity/state/region/
year; the explanation form on each warning; for office accounts the form that runs
every rule over a region; CSRF token in every form) and its workbook
``/quality.xlsx``. JSON twins under ``/api/v1/quality``: ``findings``, ``check``,
``findings/{id}/explanation``. The rule settings (``/quality/rules``) are
:mod:`jieneng.web.quality_rules`. Rules, roles and scope:
:mod:`jieneng.services.quality.quality`. A refused form shows the page again with
the status the JSON twin answers (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import DomainError
from jieneng.core.listing import Column, pick
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.core.quality.catalogue import RULES
from jieneng.core.quality.model import Severity
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.quality import quality
from jieneng.storage.tables import FINDING_STATES
from jieneng.web.common import (
    RegionQ,
    YearQ,
    blank,
    form_year,
    page,
    region_for,
    year_of,
)
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import every_page, export_url, notes, workbook_lang, xlsx_response
from jieneng.web.forms import WHOLE_FORM, form_error
from jieneng.web.i18n import domain_lang

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/quality", tags=["quality"], responses=API_ERRORS)
LIST = "pages/quality.html"

RuleQ = Annotated[str | None, Query(pattern=r"^[a-z0-9_]{0,32}$", description="规则代码 rule")]
SeverityQ = Annotated[str | None, Query(pattern=r"^(error|warning|notice)?$",
                                        description="级别 severity")]
StateQ = Annotated[str | None, Query(pattern=r"^(open|explained|resolved)?$",
                                     description="状态 state")]
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page")]
FindingId = Annotated[int, Path(ge=1, le=2**62, description="审核结果编号 finding id")]




def findings_data(
    engine: Engine, user: User, *, region: str | None, year: str | None, rule: str | None,
    severity: str | None, state: str | None, page_no: int, lang: str,
    per_page: int = quality.PER_PAGE,
) -> dict[str, Any]:
    """The findings of the page, of its JSON twin and of its workbook."""
    return quality.list_findings(
        engine, user.scope, region_code=blank(region), year=year_of(year),
        rule_code=blank(rule), severity=blank(severity), state=blank(state), page=page_no,
        per_page=per_page, lang=lang)


#: The findings' columns (the page's table, the export)
COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "pages.credit_code", "code"),
    Column("institution_name", "quality.institution"),
    Column("region_code", "export.col.region_code", "code"),
    Column("period", "quality.period", "code"),
    Column("carrier_label", "pages.carrier"),
    Column("rule_title", "quality.rule"),
    Column("severity_label", "quality.severity"),
    Column("state_label", "quality.state"),
    Column("value", "pages.value", "number"),
    Column("expected", "export.col.expected", "number"),
    Column("message", "quality.message"),
    Column("explanation", "quality.explanation"),
    Column("found_at", "export.col.found_at", "code"),
)


#: the page's table: some of the export's columns (the same header and formats); the
#: explanation is a form of its own
PAGE_COLUMNS = pick(COLUMNS, "institution_name", "period", "carrier_label", "rule_title",
                    "severity_label", "state_label", "value", "expected", "message")


def _carrier_name(code: str | None, lang: str) -> str | None:
    found = next((c for c in CARRIERS if c.code == code), None)
    if found is None:
        return code
    return found.name_en if lang == "en" else found.name_zh


def _finding_row(item: dict[str, Any], lang: str) -> dict[str, Any]:
    month = item.get("month")
    carrier = item.get("carrier")
    return {**item,
            "period": f"{item['year']}-{month:02d}" if month else str(item["year"]),
            "carrier_label": _carrier_name(carrier, lang),
            "severity_label": text(lang, f"quality.severity.{item['severity']}"),
            "state_label": text(lang, f"quality.state.{item['state']}"),
            "found_at": (item.get("found_at") or "")[:16].replace("T", " ")}


def _list_context(
    request: Request, engine: Engine, user: User, *, region: str | None = None,
    year: str | None = None, rule: str | None = None, severity: str | None = None,
    state: str | None = None, page_no: int = 1, form: dict[str, str] | None = None,
) -> dict[str, Any]:
    lang = domain_lang(lang_of(request))
    data = findings_data(engine, user, region=region, year=year, rule=rule,
                         severity=severity, state=state, page_no=page_no, lang=lang)
    pages = max(1, math.ceil(data["total"] / data["per_page"]))
    return {
        "data": data, "pages": pages, "office": user.can(Capability.RUN_QUALITY),
        "columns": PAGE_COLUMNS, "rows": [_finding_row(i, lang) for i in data["items"]],
        "writer": user.can(Capability.EXPLAIN_FINDINGS),
        "rules": [(r.code, r.title(lang)) for r in RULES],
        "severities": [s.value for s in Severity], "states": FINDING_STATES,
        "filters": {"region": region or "", "year": year or "", "rule": rule or "",
                    "severity": severity or "", "state": state or ""},
        "home_region": region_for(engine, user, region)
        if user.can(Capability.RUN_QUALITY) else "",
        "form": form or {}, "errors": {},
        "export_href": export_url(user, "/quality.xlsx", {
            "region": region, "year": year, "rule": rule, "severity": severity,
            "state": state}),
    }


@router.get("/quality")
def quality_page(
    request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = None,
    year: YearQ = None, rule: RuleQ = None, severity: SeverityQ = None, state: StateQ = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000, description="页码 page")] = 1,
) -> Response:
    return page(request, LIST, _list_context(
        request, engine, user, region=region, year=year, rule=rule, severity=severity,
        state=state, page_no=page_no))


@router.get("/quality.xlsx")
def quality_xlsx(
    request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = None,
    year: YearQ = None, rule: RuleQ = None, severity: SeverityQ = None, state: StateQ = None,
) -> Response:
    """The findings matching the filters, every page, as a workbook."""
    lang = workbook_lang(request)
    items = every_page(lambda n, size: findings_data(
        engine, user, region=region, year=year, rule=rule, severity=severity, state=state,
        page_no=n, lang=domain_lang(lang), per_page=size), 500)
    title = text(lang, "quality.title")
    sheet = Sheet(title, title, COLUMNS, [_finding_row(i, lang) for i in items], notes=notes(
        engine, user, lang, count=len(items), period=blank(year), filters=(
            ("pages.region", blank(region)), ("quality.rule", blank(rule)),
            ("quality.severity", blank(severity) and text(lang, f"quality.severity.{severity}")),
            ("quality.state", blank(state) and text(lang, f"quality.state.{state}")))))
    return xlsx_response(table_xlsx([sheet], lang), f"{title}.xlsx", "findings.xlsx")


@router.post("/quality/run", dependencies=[requires(Capability.RUN_QUALITY)])
def run_region(
    request: Request, user: CurrentUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
) -> Response:
    """Run every rule over a region (office accounts; audited)."""
    try:
        result = quality.check_region(engine, user, region_code.strip(), form_year(year))
    except DomainError as err:
        form = {"region_code": region_code, "year": year}
        return form_error(request, LIST, _list_context(request, engine, user, form=form), err,
                          at=WHOLE_FORM)
    return RedirectResponse(
        f"/quality?region={result['region_code']}&year={result['year']}", status_code=303)


@router.post("/quality/findings/{finding_id}/explain",
             dependencies=[requires(Capability.EXPLAIN_FINDINGS)])
def explain_finding(
    request: Request, finding_id: FindingId, user: CurrentUser, engine: EngineDep,
    explanation: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """The 统计员's written explanation of a warning (audited)."""
    try:
        quality.explain(engine, user, finding_id, explanation)
    except DomainError as err:
        return form_error(request, LIST, _list_context(request, engine, user), err,
                          at=WHOLE_FORM)
    return RedirectResponse(request.headers.get("referer") or "/quality", status_code=303)


# ---------------------------------------------------------------- JSON twins


class FindingOut(BaseModel):
    id: int
    institution_id: int
    credit_code: str
    institution_name: str
    region_code: str
    year: int
    month: int = Field(description="0 = the year as a whole")
    carrier: str | None = Field(description="carrier code, indicator code, or null (total)")
    rule: str
    rule_title: str
    severity: str
    state: str
    value: float | None
    expected: float | None
    suggested: float | None
    params: dict[str, Any]
    message: str
    message_zh: str
    message_en: str
    explanation: str | None
    explained_at: str | None
    found_at: str | None


class FindingsOut(BaseModel):
    items: list[FindingOut]
    page: int
    per_page: int
    total: int


@api.get("/findings", response_model=FindingsOut)
def list_findings(
    request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = None,
    year: YearQ = None, rule: RuleQ = None, severity: SeverityQ = None, state: StateQ = None,
    page: PageQ = 1,
) -> dict[str, Any]:
    """Findings of my scope, newest period first (50 a page)."""
    return findings_data(engine, user, region=region, year=year, rule=rule,
                         severity=severity, state=state, page_no=page,
                         lang=domain_lang(lang_of(request)))


class CheckIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    month: int | None = Field(default=None, ge=1, le=12)


class CheckOut(BaseModel):
    region_code: str
    year: int
    month: int | None
    institutions: int
    findings: int
    by_rule: dict[str, int]


@api.post("/check", dependencies=[requires(Capability.RUN_QUALITY)], response_model=CheckOut)
def check_region(body: CheckIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Run every rule over a region's institutions (office accounts; audited)."""
    return quality.check_region(engine, user, body.region_code, body.year, body.month)


class ExplanationIn(BaseModel):
    explanation: str = Field(min_length=1, max_length=2000)


@api.post("/findings/{finding_id}/explanation",
                 dependencies=[requires(Capability.EXPLAIN_FINDINGS)], response_model=FindingOut)
def explain(finding_id: FindingId, body: ExplanationIn, user: CurrentUser,
            engine: EngineDep) -> dict[str, Any]:
    """Explain a warning in writing: state ``explained`` (audited)."""
    return quality.explain(engine, user, finding_id, body.explanation)
