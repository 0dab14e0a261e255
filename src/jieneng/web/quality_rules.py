"""The data-quality rule settings (审核规则): the catalogue with the effective
settings of a region.

Page ``/quality/rules`` (the catalogue and, for administrators and region account
managers, the form that sets or resets a region's override; CSRF token in every
form). JSON twins under ``/api/v1/quality``: ``rules``, ``rules/{region}/{rule}``
(PUT sets, DELETE resets), ``reference-prices``. Rules, roles and scope:
:mod:`jieneng.services.quality.quality`; the findings are :mod:`jieneng.web.quality`.
A refused form shows the page again with the status the JSON twin answers
(:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.quality.model import Severity
from jieneng.services.quality import quality
from jieneng.web.common import RegionQ, blank, page, region_for
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import WHOLE_FORM, form_error
from jieneng.web.i18n import domain_lang

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/quality", tags=["quality"], responses=API_ERRORS)
RULES_PAGE = "pages/quality_rules.html"


def _rules_context(request: Request, engine: Engine, user: User, region: str | None
                   ) -> dict[str, Any]:
    code = region_for(engine, user, region)
    data = quality.rule_settings(engine, user.scope, code, domain_lang(lang_of(request)))
    return {"data": data, "editable": user.can(Capability.CONFIGURE_RULES),
            "severities": [s.value for s in Severity], "errors": {}}


@router.get("/quality/rules")
def rules_page(request: Request, user: CurrentUser, engine: EngineDep,
               region: RegionQ = None) -> Response:
    return page(request, RULES_PAGE, _rules_context(request, engine, user, region))


@router.post("/quality/rules", dependencies=[requires(Capability.CONFIGURE_RULES)])
async def edit_rule(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    """Set or reset a region's override of one rule (administrators, region account
    managers for their subtree; audited)."""
    form = await request.form()
    region_code = str(form.get("region_code", ""))[:6]
    code = str(form.get("rule", ""))[:32]
    try:
        override: dict[str, Any] | None = None
        if not form.get("reset"):
            override = {"enabled": form.get("enabled") == "on",
                        "severity": str(form.get("severity", ""))}
            params: dict[str, float] = {}
            for key, value in form.multi_items():
                if key.startswith("param_") and str(value).strip():
                    try:
                        params[key[6:]] = float(str(value))
                    except ValueError:
                        raise ValidationFailed.of(
                            "web.parameter_not_a_number", parameter=key[6:], value=value,
                            field="_form",
                        ) from None
            override["params"] = params
        quality.set_rule(engine, user, region_code, code, override)
    except DomainError as err:
        context = _rules_context(request, engine, user, region_code or None)
        return form_error(request, RULES_PAGE, context, err, at=WHOLE_FORM)
    return RedirectResponse(f"/quality/rules?region={region_code}", status_code=303)


# ---------------------------------------------------------------- JSON twins


#: a parameter value as the rule catalogue or the region's settings hold it
Number = int | float


class RuleConfigOut(BaseModel):
    enabled: bool
    severity: str
    params: dict[str, Number] = Field(description="parameter name → value")


class RuleParamOut(BaseModel):
    name: str
    default: Number
    minimum: Number
    maximum: Number
    integer: bool
    description: str


class RuleSettingOut(BaseModel):
    code: str
    title: str
    description: str
    level: str
    requires: str | None
    default: RuleConfigOut
    effective: RuleConfigOut
    # free-form by nature: the region's stored override holds only the keys its
    # administrator set (any of enabled, severity, params), or null
    override: dict[str, Any] | None
    params: list[RuleParamOut]


class RuleSettingsOut(BaseModel):
    region_code: str
    rules: list[RuleSettingOut]


class ReferencePriceOut(BaseModel):
    province_code: str
    carrier: str
    low: float
    high: float
    source: str


class ReferencePricesOut(BaseModel):
    items: list[ReferencePriceOut]


@api.get("/rules", response_model=RuleSettingsOut)
def rules(request: Request, user: CurrentUser, engine: EngineDep,
          region: RegionQ = None) -> dict[str, Any]:
    """The catalogue with the effective settings in a region (default: mine)."""
    code = region_for(engine, user, region)
    return quality.rule_settings(engine, user.scope, code, domain_lang(lang_of(request)))


class RuleIn(BaseModel):
    enabled: bool | None = None
    severity: str | None = Field(default=None, pattern=r"^(error|warning|notice)$")
    params: dict[str, float] = Field(default_factory=dict)


RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="行政区划代码")]
RulePath = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,32}$", description="规则代码")]


@api.put("/rules/{region_code}/{rule}", dependencies=[requires(Capability.CONFIGURE_RULES)],
                response_model=RuleSettingsOut)
def set_rule(region_code: RegionPath, rule: RulePath, body: RuleIn, user: CurrentUser,
             engine: EngineDep) -> dict[str, Any]:
    """Set a region's override of a rule (inherited by its subtree; audited)."""
    override = body.model_dump(exclude_none=True)
    if not override.get("params"):
        override.pop("params", None)
    return quality.set_rule(engine, user, region_code, rule, override)


@api.delete("/rules/{region_code}/{rule}",
                   dependencies=[requires(Capability.CONFIGURE_RULES)],
                   response_model=RuleSettingsOut)
def reset_rule(region_code: RegionPath, rule: RulePath, user: CurrentUser,
               engine: EngineDep) -> dict[str, Any]:
    """Remove a region's override of a rule (the inherited settings apply; audited)."""
    return quality.set_rule(engine, user, region_code, rule, None)


@api.get("/reference-prices", response_model=ReferencePricesOut)
def reference_prices(user: CurrentUser, engine: EngineDep,
                     province: RegionQ = None) -> dict[str, Any]:
    """Reference unit prices per province and carrier [元 per canonical unit]."""
    return {"items": quality.list_reference_prices(engine, blank(province))}
