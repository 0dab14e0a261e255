"""Coverage per region (创建覆盖, issue 14 §3): 达标率, 创建率, 自评率, 抽查率, 复检合格率.

- ``/campaigns/coverage?region=&year=&scheme=`` — one row for the region (its whole
  subtree) and one per direct child region: the counts (应创建, 参评, 已自评, 已抽查,
  已推荐, 本年授牌, 持有称号, 复查办结, 复查合格) and the rates of
  ``data/campaigns/coverage.csv`` (each rate's formula, source and status shown under
  the table), against the scheme's ``coverage_target`` when it has one; twin
  ``/api/v1/campaigns/coverage``; workbook ``/campaigns/coverage.xlsx``.

Every signed-in role reads the coverage of its scope (default: its own region, the
current year, 节约型机关).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.campaigns.coverage import COUNTS
from jieneng.core.campaigns.shipped import SHIPPED, shipped
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.campaigns.coverage import (
    RATE_KEYS,
    definitions,
    latest_year,
    region_coverage,
)
from jieneng.web.common import page as render_page
from jieneng.web.common import region_for
from jieneng.web.deps import CurrentUser, EngineDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import notes, workbook_lang, xlsx_response

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
TEMPLATE = "campaigns/coverage.html"
DEFAULT_SCHEME = "conservation_organ"
RegionQ = Annotated[str, Query(pattern=r"^(\d{6})?$", description="行政区划代码 (default: "
                               "my own)")]
YearQ = Annotated[str, Query(pattern=r"^(\d{4})?$", description="年份 (default: the latest "
                             "year of a round of the scheme, else this year)")]
SchemeQ = Annotated[str, Query(pattern=r"^[0-9A-Za-z_\-]{0,64}$",
                               description="方案编号 (default: conservation_organ)")]
COLUMNS = (
    Column("region_name", "campaigns.coverage.col.region"),
    *(Column(k, f"campaigns.coverage.col.{k}", "int") for k in COUNTS if k != "taking_part"),
    *(Column(k, f"campaigns.coverage.col.{k}", "percent", 1) for k in RATE_KEYS),
)


def coverage_data(engine: Any, user: User, region: str = "", year: str = "",
                  scheme: str = "") -> dict[str, Any]:
    """The rows of :func:`region_coverage` for the page, its twin and the workbook."""
    code = region_for(engine, user, region or None)
    chosen = scheme or DEFAULT_SCHEME
    chosen_year = int(year) if year else (latest_year(engine, chosen)
                                          or chinatime.today().year)
    rows = region_coverage(engine, code, chosen_year, chosen, user=user)
    return {"region_code": code, "year": chosen_year, "scheme": chosen,
            "target": rows[0]["target"] if rows else None, "rows": rows,
            "definitions": definitions()}


@router.get("/campaigns/coverage")
def coverage_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  year: YearQ = "", scheme: SchemeQ = "") -> Response:
    data = coverage_data(engine, user, region, year, scheme)
    schemes = [{"code": c, "name_zh": shipped(c).name_zh, "name_en": shipped(c).name_en}
               for c in SHIPPED]
    return render_page(request, TEMPLATE, {"data": data, "schemes": schemes,
                                           "counts": [k for k in COUNTS if k != "taking_part"],
                                           "rates": RATE_KEYS})


class CoverageOut(BaseModel):
    model_config = {"extra": "allow"}
    region_code: str
    year: int
    scheme: str
    target: float | None
    rows: list[dict[str, Any]]
    definitions: list[dict[str, str]]


@api.get("/campaigns/coverage", response_model=CoverageOut)
def coverage_json(user: CurrentUser, engine: EngineDep, region: RegionQ = "", year: YearQ = "",
                  scheme: SchemeQ = "") -> dict[str, Any]:
    """The region's and its child regions' coverage of a scheme in a year: counts and
    rates (达标率 compliance_rate, 创建率 creation_rate, 自评率 self_assessment_rate,
    抽查率 spot_check_rate, 复检合格率 recheck_pass_rate; shares 0…1, null when the
    denominator is 0), with each rate's definition, source and status."""
    return coverage_data(engine, user, region, year, scheme)


@router.get("/campaigns/coverage.xlsx")
def coverage_xlsx(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  year: YearQ = "", scheme: SchemeQ = "") -> Response:
    lang = workbook_lang(request)
    data = coverage_data(engine, user, region, year, scheme)
    title = text(lang, "campaigns.coverage.title")
    en = lang == "en"
    basis = "; ".join(f"{d['name_en'] if en else d['name_zh']} = {d['numerator']} ÷ "
                      f"{d['denominator']} ({d['status']})" for d in data["definitions"])
    sheet = Sheet(title, f"{title} · {data['scheme']} {data['year']}", COLUMNS, data["rows"],
                  notes=notes(engine, user, lang, count=len(data["rows"]),
                              period=str(data["year"]), basis=basis))
    return xlsx_response(table_xlsx([sheet], lang=lang), f"{title} {data['year']}.xlsx",
                         "coverage.xlsx")
