"""The year-end assessment (年终考核, 目标绩效考核) of a region's children and its own
units (本级): the page ``/targets/assessment``, its workbook
``/targets/assessment.xlsx``, its 公文 ``/targets/assessment.docx`` and its JSON twin
``/api/v1/targets/assessment`` — one service call
(:func:`jieneng.services.targets.progress.assessment`), so the same numbers in each.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.reports.annual_report import assessment_xlsx
from jieneng.reports.assessment_document import assessment_docx
from jieneng.services.targets import progress
from jieneng.settings import Settings
from jieneng.web.common import RegionQ, YearQ, page, region_for, year_of
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import export_url, notes, workbook_lang, xlsx_response
from jieneng.web.targets.schemas import AssessmentOut

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["targets"], responses=API_ERRORS)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

SortQ = Annotated[str, Query(pattern="^(region|met|unmet)$",
                            description="region (code), met first, or unmet first")]


def assessment_data(engine: Engine, user: User, settings: Settings, *, region: str | None,
                    year: str | None, sort: str = "region") -> dict[str, Any]:
    """The assessment of the page, its twin, its workbook and its document (default
    year: last year)."""
    data = progress.assessment(engine, user, region_code=region_for(engine, user, region),
                               year=year_of(year) or chinatime.today().year - 1,
                               factor_set=settings.factor_set)
    if sort != "region":  # the rows come by region code; met / unmet first, then by code
        data["rows"].sort(key=lambda r: (r["all_met"] != (sort == "met"), r["region_code"]))
    data["sort"] = sort
    return data


@router.get("/targets/assessment")
def assessment_page(request: Request, user: CurrentUser, engine: EngineDep,
                    settings: SettingsDep, region: RegionQ = None, year: YearQ = None,
                    sort: SortQ = "region") -> Response:
    data = assessment_data(engine, user, settings, region=region, year=year, sort=sort)
    query = {"region": data["region"]["code"], "year": data["year"], "sort": sort}
    return page(request, "pages/targets_assessment.html", {
        "data": data, "export_href": export_url(user, "/targets/assessment.xlsx", query),
        "docx_href": export_url(user, "/targets/assessment.docx", query)})


@router.get("/targets/assessment.xlsx")
def assessment_xlsx_download(request: Request, user: CurrentUser, engine: EngineDep,
                             settings: SettingsDep, region: RegionQ = None,
                             year: YearQ = None, sort: SortQ = "region") -> Response:
    """The year-end assessment as a workbook: one line per (child region, target)."""
    lang = workbook_lang(request)
    data = assessment_data(engine, user, settings, region=region, year=year, sort=sort)
    count = sum(len(row["targets"]) for row in data["rows"])
    lines = notes(engine, user, lang, count=count, period=str(data["year"]),
                  basis=text(lang, "export.assessment.basis"))
    name = f"{data['region']['code']}-{data['year']}"
    title = text(lang, "pages.targets.assessment")
    return xlsx_response(assessment_xlsx(data, lang, notes=lines), f"{title}-{name}.xlsx",
                         f"assessment-{name}.xlsx")


@router.get("/targets/assessment.docx")
def assessment_docx_download(request: Request, user: CurrentUser, engine: EngineDep,
                             settings: SettingsDep, region: RegionQ = None,
                             year: YearQ = None, sort: SortQ = "region") -> Response:
    """The year-end assessment (目标考核) as a 公文 in the page's language."""
    data = assessment_data(engine, user, settings, region=region, year=year, sort=sort)
    lang = workbook_lang(request)
    name = f"{data['region']['code']}-{data['year']}"
    title = (f"{data['region']['name']}{data['year']}年度目标考核.docx" if lang != "en"
             else f"assessment-{name}.docx")
    return Response(assessment_docx(data, lang=lang), media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"assessment-{name}.docx\"; "
                               f"filename*=UTF-8''{quote(title)}"})


@api.get("/targets/assessment", response_model=AssessmentOut)
def assessment_api(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                   region: RegionQ = None, year: YearQ = None, sort: SortQ = "region"
                   ) -> dict[str, Any]:
    """The year-end assessment (目标绩效考核) of the region's children and of its own
    units (本级, the share of its cap saved by the last decomposition), sorted by region
    code, or with the rows that met all targets (``met``) or not (``unmet``) first."""
    return assessment_data(engine, user, settings, region=region, year=year, sort=sort)
