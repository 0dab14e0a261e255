"""Coverage per region (创建覆盖, issue 14 §3): 达标率, 创建率, 自评率, 抽查率, 复检合格率.

- ``/campaigns/coverage?region=&year=&scheme=&category=&level=`` — one row for the region
  (its whole subtree) and one per direct child region: the counts (应创建, 参评, 已自评, 已抽查,
  已推荐, 本年授牌, 持有称号, 复查办结, 复查合格) and the rates of
  ``data/campaigns/coverage.csv`` (each rate's formula, source and status shown under
  the table), against the scheme's ``coverage_target`` when it has one; twin
  ``/api/v1/campaigns/coverage``; workbook ``/campaigns/coverage.xlsx``.

Two optional narrowings (:class:`jieneng.services.campaigns.coverage.Slice`): ``category``
— an institution category, a group ``01``/``02``/``03`` or a leaf ``021``…``026``, inside
the scheme's population (the page's select offers only the codes the chosen scheme's
population covers, computed from ``coverage_population.csv``; a chosen code outside it
stays selected next to the refusal); ``level`` — a title level (national, provincial,
city, county), which narrows only the figures made of titles (the others are not
computed: absent from the twin's rows, ``—`` on the page, left out of the workbook;
``figures`` names those computed). A value the service refuses (an unknown category or
level, a category outside the scheme's population) is its message on the page (the
filters kept, 422) and the standard error shape on the twin.

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
from jieneng.core.campaigns.coverage import COUNTS, TITLE_LEVELS, population_of
from jieneng.core.campaigns.shipped import SHIPPED, shipped
from jieneng.core.categories import CATEGORIES, CATEGORY_GROUPS, categories_under
from jieneng.core.exceptions import ValidationFailed
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
from jieneng.web.forms import form_error

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
CategoryQ = Annotated[str, Query(pattern=r"^[0-9A-Za-z_]{0,16}$",
                                 description="机构类型: 01 国家机关, 02 事业单位 (or a leaf "
                                 "021…026), 03 团体组织, inside the scheme's population "
                                 "(default: every category of it)")]
LevelQ = Annotated[str, Query(pattern=r"^[0-9A-Za-z_]{0,16}$",
                              description="称号级别 national|provincial|city|county: narrows "
                              "only the figures made of titles (default: every level)")]
COLUMNS = (
    Column("region_name", "campaigns.coverage.col.region"),
    *(Column(k, f"campaigns.coverage.col.{k}", "int") for k in COUNTS if k != "taking_part"),
    *(Column(k, f"campaigns.coverage.col.{k}", "percent", 1) for k in RATE_KEYS),
)


def category_options(scheme: str | None = None, chosen: str | None = None
                     ) -> list[dict[str, str]]:
    """The category select: the groups 01, 02, 03 and the leaves under 02 (from
    :mod:`jieneng.core.categories`), each code once — for a ``scheme``, only those its
    population (``coverage_population.csv``) covers: a code one of whose leaves is in it,
    which is what :func:`region_coverage` accepts (every code for a scheme without a
    population row). A ``chosen`` code not offered (outside the scheme, or unknown) is
    kept, so the page shows it selected next to the service's refusal."""
    groups = [{"code": c, "name_zh": zh, "name_en": en}
              for c, (zh, en) in CATEGORY_GROUPS.items()]
    leaves = [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en}
              for c in CATEGORIES if c.code not in CATEGORY_GROUPS]
    every = sorted(groups + leaves, key=lambda o: o["code"])
    population = population_of(scheme) if scheme else None
    if population is not None:
        covered = {leaf for c in population.categories for leaf in categories_under(c)}
        every = [o for o in every if covered & set(categories_under(o["code"]))]
    if chosen and all(o["code"] != chosen for o in every):
        every.append({"code": chosen, "name_zh": "", "name_en": "",
                      **next((o for o in category_options() if o["code"] == chosen), {})})
    return every


def _frame(engine: Any, user: User, region: str, year: str, scheme: str, category: str,
           level: str) -> dict[str, Any]:
    """What was asked, with its defaults filled in (no figures yet)."""
    code = region_for(engine, user, region or None)
    chosen = scheme or DEFAULT_SCHEME
    chosen_year = int(year) if year else (latest_year(engine, chosen)
                                          or chinatime.today().year)
    return {"region_code": code, "year": chosen_year, "scheme": chosen,
            "category": category or None, "level": level or None, "target": None,
            "rows": [], "figures": [], "definitions": definitions()}


def _figures(frame: dict[str, Any], engine: Any, user: User) -> dict[str, Any]:
    rows = region_coverage(engine, frame["region_code"], frame["year"], frame["scheme"],
                           user=user, category=frame["category"], level=frame["level"])
    computed = [k for k in (*COUNTS, *RATE_KEYS) if rows and k in rows[0]]
    return {**frame, "target": rows[0]["target"] if rows else None, "rows": rows,
            "figures": computed}


def coverage_data(engine: Any, user: User, region: str = "", year: str = "",
                  scheme: str = "", category: str = "", level: str = "") -> dict[str, Any]:
    """The rows of :func:`region_coverage` for the page, its twin and the workbook."""
    return _figures(_frame(engine, user, region, year, scheme, category, level), engine, user)


@router.get("/campaigns/coverage")
def coverage_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  year: YearQ = "", scheme: SchemeQ = "", category: CategoryQ = "",
                  level: LevelQ = "") -> Response:
    frame = _frame(engine, user, region, year, scheme, category, level)
    schemes = [{"code": c, "name_zh": shipped(c).name_zh, "name_en": shipped(c).name_en}
               for c in SHIPPED]
    context = {"schemes": schemes,
               "categories": category_options(frame["scheme"], frame["category"]),
               "levels": TITLE_LEVELS,
               "counts": [k for k in COUNTS if k != "taking_part"], "rates": RATE_KEYS}
    try:
        data = _figures(frame, engine, user)
    except ValidationFailed as err:  # a category or level the service refuses
        return form_error(request, TEMPLATE, {**context, "data": frame}, err)
    return render_page(request, TEMPLATE, {**context, "data": data})


class CoverageOut(BaseModel):
    model_config = {"extra": "allow"}
    region_code: str
    year: int
    scheme: str
    category: str | None
    level: str | None
    target: float | None
    rows: list[dict[str, Any]]
    figures: list[str]
    definitions: list[dict[str, str]]


@api.get("/campaigns/coverage", response_model=CoverageOut)
def coverage_json(user: CurrentUser, engine: EngineDep, region: RegionQ = "", year: YearQ = "",
                  scheme: SchemeQ = "", category: CategoryQ = "", level: LevelQ = ""
                  ) -> dict[str, Any]:
    """The region's and its child regions' coverage of a scheme in a year: counts and
    rates (达标率 compliance_rate, 创建率 creation_rate, 自评率 self_assessment_rate,
    抽查率 spot_check_rate, 复检合格率 recheck_pass_rate; shares 0…1, null when the
    denominator is 0), with each rate's definition, source and status. ``category`` /
    ``level`` narrow it (a level: only the figures made of titles, listed in
    ``figures``; the others absent from the rows); an unknown category or level, or a
    category outside the scheme's population: 422."""
    return coverage_data(engine, user, region, year, scheme, category, level)


@router.get("/campaigns/coverage.xlsx")
def coverage_xlsx(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  year: YearQ = "", scheme: SchemeQ = "", category: CategoryQ = "",
                  level: LevelQ = "") -> Response:
    lang = workbook_lang(request)
    data = coverage_data(engine, user, region, year, scheme, category, level)
    title = text(lang, "campaigns.coverage.title")
    en = lang == "en"
    basis = "; ".join(f"{d['name_en'] if en else d['name_zh']} = {d['numerator']} ÷ "
                      f"{d['denominator']} ({d['status']})" for d in data["definitions"])
    narrowed = "".join(f" · {part}" for part in _narrowing(lang, data) if part)
    sheet = Sheet(title, f"{title} · {data['scheme']} {data['year']}{narrowed}",
                  [c for c in COLUMNS if c.key == "region_name" or c.key in data["figures"]],
                  data["rows"],
                  notes=notes(engine, user, lang, count=len(data["rows"]),
                              period=str(data["year"]), basis=basis))
    return xlsx_response(table_xlsx([sheet], lang=lang), f"{title} {data['year']}.xlsx",
                         "coverage.xlsx")


def _narrowing(lang: str, data: dict[str, Any]) -> tuple[str, str]:
    """The workbook title's category and level, named in ``lang`` ("" when not given)."""
    en = lang == "en"
    names = {o["code"]: o["name_en" if en else "name_zh"] for o in category_options()}
    category = data["category"]
    level = data["level"]
    return (f"{category} {names.get(category, '')}".strip() if category else "",
            text(lang, f"campaigns.checks.level.{level}") if level else "")
