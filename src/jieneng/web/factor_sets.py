"""Which factor set (系数集) and electricity CO₂ scope each region uses.

Page ``/admin/factor-sets`` (the sets, the choices per region, a form to choose;
administrators) and the JSON ``/api/v1/factor-sets`` (every set and coefficient; its
twin, path kept, listed in ``tests/web/test_twins.py``) and
``/api/v1/factor-sets/{region}`` (``GET`` what is in effect for a region of my scope,
``PUT`` choose; administrators, audited). The rules are in
:mod:`jieneng.services.statistics.factor_choice`. A refused form shows the page again with the
status the JSON twin answers (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.statistics import factor_choice
from jieneng.web.deps import AdminUser, CurrentUser, EngineDep, ScopeDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["factor sets"], responses=API_ERRORS)
TEMPLATE = "admin/factor_sets.html"
RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="行政区划代码")]


def _context(engine: Engine, default: str, form: dict[str, str] | None = None
             ) -> dict[str, Any]:
    sets = factor_choice.available_sets()
    gas = {
        s["name"]: next((c for c in s["coefficients"] if c["carrier"] == "natural_gas"), None)
        for s in sets
    }
    return {
        "sets": sets, "gas": gas, "choices": factor_choice.list_choices(engine),
        "co2_scopes": factor_choice.CO2_SCOPES, "installation_default": default,
        "form": form or {}, "errors": {},
    }


# ---------------------------------------------------------------- page
@router.get("/factor-sets", dependencies=[requires(Capability.FACTOR_SETS)])
def factor_sets_page(
    request: Request, admin: AdminUser, engine: EngineDep, settings: SettingsDep
) -> Response:
    return render(request, TEMPLATE, _context(engine, settings.factor_set))


@router.post("/factor-sets", dependencies=[requires(Capability.FACTOR_SETS)])
def choose_factor_set(
    request: Request, admin: AdminUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)],
    factor_set: Annotated[str, Form(max_length=64)] = "",
    co2_scope: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Choose (or, with an empty set, remove) the factor set of a region; audited."""
    form = {"region_code": region_code, "factor_set": factor_set, "co2_scope": co2_scope}
    try:
        factor_choice.set_factor_set(engine, actor=admin.actor, region_code=region_code.strip(),
                                     name=factor_set, co2_scope=co2_scope)
    except DomainError as err:
        return form_error(request, TEMPLATE, _context(engine, settings.factor_set, form), err)
    return RedirectResponse("/admin/factor-sets", status_code=303)


# ---------------------------------------------------------------- JSON
class FactorSetOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    edition: str
    default: bool
    electricity_co2_scope: str
    source_notes: list[str]
    coefficients: list[dict[str, Any]]


class FactorSetsOut(BaseModel):
    sets: list[FactorSetOut]
    co2_scopes: list[str]
    installation_default: str


class FactorChoiceOwn(BaseModel):
    factor_set: str
    co2_scope: str | None


class FactorChoiceOut(BaseModel):
    region_code: str
    region_name: str
    factor_set: str = Field(description="系数集 in effect for the region")
    co2_scope: str = Field(description="电力排放因子范围 in effect")
    co2_scope_chosen: str | None = Field(description="None: the set's own scope")
    source_region: str | None = Field(
        description="region whose choice applies; None: the installation default")
    source_region_name: str | None
    own: FactorChoiceOwn | None = Field(description="this region's own choice, if any")
    installation_default: str


class FactorChoiceIn(BaseModel):
    factor_set: str | None = Field(
        default=None, max_length=64, description="系数集; null removes the region's own choice")
    co2_scope: Literal["national", "regional", "provincial"] | None = Field(
        default=None, description="电力排放因子范围; null: the set's own")


@api.get("/factor-sets", response_model=FactorSetsOut)
def list_factor_sets(user: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    """The factor sets available, with every coefficient, its status and source."""
    return {
        "sets": factor_choice.available_sets(),
        "co2_scopes": list(factor_choice.CO2_SCOPES),
        "installation_default": settings.factor_set,
    }


@api.get("/factor-sets/{region}", response_model=FactorChoiceOut)
def get_factor_choice(
    region: RegionPath, scope: ScopeDep, engine: EngineDep, settings: SettingsDep
) -> dict[str, Any]:
    """The factor set in effect for a region of my scope, and where the choice comes from."""
    return factor_choice.describe_choice(engine, region, scope=scope,
                                         default=settings.factor_set)


@api.put("/factor-sets/{region}",
         dependencies=[requires(Capability.FACTOR_SETS)], response_model=FactorChoiceOut)
def put_factor_choice(
    region: RegionPath, body: FactorChoiceIn, admin: AdminUser, engine: EngineDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Choose the factor set of a region and its subtree (administrators; audited)."""
    factor_choice.set_factor_set(engine, actor=admin.actor, region_code=region,
                                 name=body.factor_set, co2_scope=body.co2_scope)
    return factor_choice.describe_choice(engine, region, default=settings.factor_set)
