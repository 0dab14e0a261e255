"""What a figure is made of (``/explain``, twin ``/api/v1/explain``): the inputs per
institution, the factor set and the rule of each figure
(:func:`jieneng.services.statistics.explain.explain`), built by one ``explain_data``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.services.statistics.explain import explain as explain_figure
from jieneng.services.statistics.selection import FORMULAS
from jieneng.settings import Settings
from jieneng.web.common import (
    CategoryQ,
    MonthsQ,
    RegionQ,
    blank,
    page,
    parse_months,
    region_for,
)
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.figures import (
    BasisOut,
    CarrierFigureOut,
    FactorSetUsedOut,
    HeadlineYoyOut,
    RegionRefOut,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["overview"], responses=API_ERRORS)
Year = Annotated[int, Query(ge=1990, le=2100, description="年份 year")]
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page")]
PerPageQ = Annotated[int, Query(ge=1, le=1000, description="每页条数 items per page")]


def explain_data(
    engine: Engine, user: User, settings: Settings, *, region: str | None, year: int,
    months: str | None, category: str | None, institution: str | None, own_level: bool,
    page_no: int, per_page: int,
) -> dict[str, Any]:
    return explain_figure(
        engine, user.scope, region_code=blank(region) or region_for(engine, user, None),
        year=year, months=parse_months(blank(months)), category=blank(category),
        institution_code=blank(institution), own_level=own_level, page=page_no,
        per_page=per_page, default_factor_set=settings.factor_set,
    )


@router.get("/explain")
def explain_page(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    year: Annotated[int, Query(ge=1990, le=2100)],
    region: RegionQ = None, months: MonthsQ = None, category: CategoryQ = None,
    institution: Annotated[str | None, Query(max_length=18)] = None,
    own_level: bool = False,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    data = explain_data(
        engine, user, settings, region=region, year=year, months=months, category=category,
        institution=institution, own_level=own_level, page_no=page_no, per_page=50,
    )
    return page(request, "pages/explain.html", {"data": data, "formulas": FORMULAS})


# ---------------------------------------------------------------- JSON twin
class FormulaOut(BaseModel):
    """How a headline figure is made, and its value."""

    key: str = Field(description="the figure's code (indicator registry)")
    name_zh: str
    name_en: str
    unit: str
    formula_zh: str
    formula_en: str
    value: float | None


class InputRowOut(BaseModel):
    """One institution's inputs behind the figures (None: not reported / not given)."""

    credit_code: str
    name: str
    region_code: str
    category: str
    status: str
    reported: bool = Field(description="reported at least one month of the selection")
    months_reported: int
    occupants: float | None = Field(description="用能人数")
    floor_area_m2: float | None = Field(description="建筑面积 [m²]")
    in_per_capita: bool = Field(description="counted in the per-capita denominators")
    in_per_area: bool = Field(description="counted in the per-area denominators")
    energy_tce: float | None
    water_m3: float | None
    co2_t: float | None
    quantity: dict[str, float | None] = Field(description="carrier → quantity (canonical unit)")
    cost_yuan: dict[str, float | None] = Field(description="carrier → cost [元]")


class InputsPageOut(BaseModel):
    items: list[InputRowOut]
    page: int
    per_page: int
    total: int


class ExplainOut(BaseModel):
    """What the figures of a selection are made of
    (:func:`jieneng.services.statistics.explain.explain`)."""

    region: RegionRefOut
    year: int
    months: list[int] = Field(description="[first, last] month")
    category: str | None
    institution_code: str | None
    own_level: bool
    figures: HeadlineYoyOut
    by_carrier: list[CarrierFigureOut]
    factor_set: FactorSetUsedOut
    formulas: list[FormulaOut]
    basis: BasisOut
    notes: list[str]
    inputs: InputsPageOut


@api.get("/explain", response_model=ExplainOut)
def explain(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep, year: Year,
    region: RegionQ = None, months: MonthsQ = None, category: CategoryQ = None,
    institution: Annotated[str | None, Query(max_length=18, description="统一社会信用代码")] = None,
    own_level: bool = False, page: PageQ = 1, per_page: PerPageQ = 50,
) -> dict[str, Any]:
    """What the figures of a selection are made of: inputs per institution, the
    factor set and the rule of each figure."""
    return explain_data(
        engine, user, settings, region=region, year=year, months=months, category=category,
        institution=institution, own_level=own_level, page_no=page, per_page=per_page,
    )
