"""The annual 通报 of a region: the Word document ``/reports/annual.docx`` and the
workbook ``/reports/annual.xlsx`` (downloads; their figures are those of the targets
and assessment twins, :func:`jieneng.services.publishing.annual_report.annual_data`).
The assessment's own 公文 is :mod:`.assessment`'s.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.reports.annual_report import annual_docx, annual_xlsx
from jieneng.services.publishing.annual_report import annual_data
from jieneng.settings import Settings
from jieneng.web.common import RegionQ, YearQ, region_for, year_of
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.exporting import workbook_lang, xlsx_response

router = APIRouter(include_in_schema=False)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _report(engine: Engine, user: User, settings: Settings, region: str | None,
            year: str | None) -> tuple[dict[str, Any], str]:
    code = region_for(engine, user, region)
    y = year_of(year) or chinatime.today().year - 1
    data = annual_data(engine, user, region_code=code, year=y,
                       factor_set=settings.factor_set)
    return data, f"{code}-{y}"


@router.get("/reports/annual.docx")
def annual_docx_download(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                         region: RegionQ = None, year: YearQ = None) -> Response:
    data, name = _report(engine, user, settings, region, year)
    title = f"{data['region']['name']}{data['year']}年度通报.docx"  # the file's own name
    return Response(annual_docx(data), media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"tongbao-{name}.docx\"; "
                               f"filename*=UTF-8''{quote(title)}"})


@router.get("/reports/annual.xlsx")
def annual_xlsx_download(request: Request, user: CurrentUser, engine: EngineDep,
                         settings: SettingsDep, region: RegionQ = None, year: YearQ = None
                         ) -> Response:
    data, name = _report(engine, user, settings, region, year)
    lang = workbook_lang(request)
    title = (f"annual-bulletin-{name}.xlsx" if lang == "en"
             else f"{data['region']['name']}{data['year']}年度通报.xlsx")
    return xlsx_response(annual_xlsx(data, lang), title, f"tongbao-{name}.xlsx")
