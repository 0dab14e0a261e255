"""The JSON API, version 1 (``/api/v1``).

Authentication: the session cookie (with ``X-CSRF-Token`` on writes) or
``Authorization: Bearer <token>`` (no CSRF). Lists are paginated
(``?page=&per_page=`` → ``{"items", "page", "per_page", "total"}``). Errors have
the one shape of :mod:`jieneng.web.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Capability, capabilities
from jieneng.services.accounts import accounts, audit, auth, users
from jieneng.services.statistics import factor_choice
from jieneng.services.statistics.indicators import IndicatorQuery, compute, parse_months
from jieneng.web.api.schemas import (
    AuditOut,
    MeOut,
    Page,
    ScopeOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserPatch,
)
from jieneng.web.api.figures import IndicatorsOut
from jieneng.web.deps import AdminUser, CurrentUser, EngineDep, ScopeDep, SettingsDep, requires
from jieneng.web.errors import ErrorOut
from jieneng.web.templating import render

_errors: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 422)
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=_errors)
PageNo = Annotated[int, Query(ge=1, le=100_000, description="页码 page, from 1")]
PerPage = Annotated[int, Query(ge=1, le=200, description="每页条数 items per page")]


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """A reference of the API drawn from the OpenAPI document (no CDN, no script)."""
    return await run_in_threadpool(
        render, request, "api_docs.html", {"spec": request.app.openapi()}
    )


@router.get("/me", response_model=MeOut)
def me(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The caller, their role and the scope (node of the tree) they see."""
    scope = user.scope
    return {
        "user": user.to_dict(),
        "scope": ScopeOut(kind=scope.kind.value, region_code=scope.region_code,
                          department_id=scope.department_id,
                          institution_id=scope.institution_id),
        "scope_name": users.scope_label(engine, user),
        "can_write": user.can_write,
        "capabilities": sorted(capabilities(user.role)),
    }


# ---------------------------------------------------------------- tokens
@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(user: CurrentUser, engine: EngineDep) -> list[dict[str, Any]]:
    """My API tokens (never their secrets)."""
    return [t.to_dict() for t in auth.list_tokens(engine, user)]


@router.post("/tokens",
             dependencies=[requires(Capability.OWN_ACCOUNT)],
             response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """A new token; its secret is in this response only."""
    token, secret = auth.create_token(engine, user, body.name)
    return {**token.to_dict(), "token": secret}


@router.delete("/tokens/{token_id}",
               dependencies=[requires(Capability.OWN_ACCOUNT)], response_model=TokenOut)
def revoke_token(token_id: int, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Revoke one of my tokens."""
    return auth.revoke_token(engine, user, token_id).to_dict()


# ---------------------------------------------------------------- users (admin)
@router.get("/users", response_model=Page[UserOut],
            dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)])
def list_users(
    admin: AdminUser, engine: EngineDep, page: PageNo = 1, per_page: PerPage = 50
) -> dict[str, Any]:
    data = accounts.list_users(engine, page=page, per_page=per_page)
    return {**data, "items": [u.to_dict() for u in data["items"]]}


@router.post("/users",
             dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)],
             response_model=UserOut, status_code=201)
def create_user(body: UserCreate, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    return accounts.create_user(
        engine, admin.actor, username=body.username, password=body.password, role=body.role,
        region_code=body.region_code, institution=body.institution,
        display_name=body.display_name,
    ).to_dict()


@router.get("/users/{user_id}", response_model=UserOut,
            dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)])
def get_user(user_id: int, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    return accounts.get_user(engine, user_id).to_dict()


@router.patch("/users/{user_id}",
              dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)], response_model=UserOut)
def patch_user(
    user_id: int, body: UserPatch, admin: AdminUser, engine: EngineDep
) -> dict[str, Any]:
    given = body.model_fields_set
    changes: dict[str, Any] = {
        k: getattr(body, k) for k in ("display_name", "role", "password", "locked")
        if k in given
    }
    for key in ("region_code", "institution"):
        if key in given:
            changes[key] = getattr(body, key)
    return accounts.update_user(engine, admin.actor, user_id, **changes).to_dict()


# ---------------------------------------------------------------- audit (admin)
@router.get("/audit", response_model=Page[AuditOut],
            dependencies=[requires(Capability.VIEW_AUDIT)])
def list_audit(
    admin: AdminUser, engine: EngineDep, page: PageNo = 1, per_page: PerPage = 50
) -> dict[str, Any]:
    """Every write, newest first."""
    return audit.list_entries(engine, page=page, per_page=per_page)


# ---------------------------------------------------------------- indicators
@router.get("/indicators", response_model=IndicatorsOut, response_model_exclude_unset=True)
def indicators(
    user: CurrentUser,
    scope: ScopeDep,
    engine: EngineDep,
    settings: SettingsDep,
    year: Annotated[int, Query(ge=1990, le=2100, description="年份 year")],
    region: Annotated[str | None, Query(
        pattern=r"^\d{6}$", description="行政区划代码 (default: the caller's own region)")] = None,
    months: Annotated[str | None, Query(max_length=10, description="月份范围 e.g. 1-6")] = None,
    group_by: Literal["region", "category", "institution"] | None = None,
    category: Annotated[str | None, Query(max_length=20, description="单位类别")] = None,
    department: Annotated[str | None, Query(
        max_length=18, description="主管部门统一社会信用代码")] = None,
    institution: Annotated[str | None, Query(
        max_length=18, description="单位统一社会信用代码")] = None,
) -> dict[str, Any]:
    """Headline indicators with year-on-year change, optionally grouped, within my scope."""
    code = region or users.home_region(engine, user)
    if code is None:
        raise NotFound("没有行政区划数据", "no regions loaded")
    query = IndicatorQuery(
        region_code=code, year=year, months=parse_months(months), group_by=group_by,
        category=category, department_code=department, institution_code=institution,
        default_factor_set=settings.factor_set,
    )
    return compute(engine, query, scope)


# ---------------------------------------------------------------- factor sets
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


RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="行政区划代码")]


@router.get("/factor-sets", response_model=FactorSetsOut)
def list_factor_sets(user: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    """The factor sets available, with every coefficient, its status and source."""
    return {
        "sets": factor_choice.available_sets(),
        "co2_scopes": list(factor_choice.CO2_SCOPES),
        "installation_default": settings.factor_set,
    }


@router.get("/factor-sets/{region}", response_model=FactorChoiceOut)
def get_factor_choice(
    region: RegionPath, scope: ScopeDep, engine: EngineDep, settings: SettingsDep
) -> dict[str, Any]:
    """The factor set in effect for a region of my scope, and where the choice comes from."""
    return factor_choice.describe_choice(engine, region, scope=scope,
                                         default=settings.factor_set)


@router.put("/factor-sets/{region}",
            dependencies=[requires(Capability.FACTOR_SETS)], response_model=FactorChoiceOut)
def put_factor_choice(
    region: RegionPath, body: FactorChoiceIn, admin: AdminUser, engine: EngineDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Choose the factor set of a region and its subtree (administrators; audited)."""
    factor_choice.set_factor_set(engine, actor=admin.actor, region_code=region,
                                 name=body.factor_set, co2_scope=body.co2_scope)
    return factor_choice.describe_choice(engine, region, default=settings.factor_set)
