"""Entering a project's contract in the web (issue 13 §2, §5): the form
``/projects/{code}/contract`` (filled with the contract on file) and its JSON twin
``PUT``/``POST /api/v1/projects/{code}/contract``. The service
(:func:`jieneng.services.projects.contracts.set_contract`) checks the national rules
and the region's rule set; a refusal brings the form back with every typed value and,
for broken rules, one line per rule (its text, article, document, the value entered
and the limit — :func:`jieneng.services.projects.contracts.check_only`), under the
status the twin answers. Capability ``manage_projects``; the project must be in the
caller's scope (404 otherwise, from the service).

The shares (节能效益分享比例 ``sharing_ratio``, 保证节能率 ``guaranteed_rate``) are typed
and shown in percent (``70`` or ``70%``) in the form, stored as fractions (0.7) as
before; the JSON twin takes and answers fractions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.messages import DEFAULT_LANGUAGE as ZH
from jieneng.core.messages import text as message
from jieneng.core.permissions import Capability
from jieneng.core.projects.contracts import Contract, rule_sets
from jieneng.services.projects.contracts import check_only, set_contract
from jieneng.services.projects.registry import get_project
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_date, form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import CodeP
from jieneng.web.projects.detail import _check

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
TEMPLATE = "projects/contract.html"
NEEDS = [requires(Capability.MANAGE_PROJECTS)]
Short = Annotated[str, Form(max_length=200)]
DATES = ("term_start", "term_end", "base_start", "base_end", "signed_on")
NUMBERS = ("sharing_ratio", "guaranteed_rate", "guaranteed_tce", "fee_base_yuan",
           "ceiling_yuan")
TEXTS = ("number", "price_mode", "om_scope", "carbon_rights", "asset_handover")
FIELDS = (*DATES, *NUMBERS, *TEXTS, "heating_by_area", "rule_set")
#: typed and shown in percent, stored as fractions
PERCENT = ("sharing_ratio", "guaranteed_rate")


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _number(text: str, field: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise ValidationFailed.of("project_figure_invalid", field=field,
                                  value=text[:40]) from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValidationFailed.of("project_figure_invalid", field=field, value=text[:40])
    return value


def _percent(text: str, field: str) -> float | None:
    """A share typed in percent (``70``, ``70%``, ``70 %``) as a fraction (0.7)."""
    cleaned = text.strip().rstrip("%％").strip()
    value = _number(cleaned, field)
    if value is None:
        return None
    if value > 100:
        raise ValidationFailed.of(
            "project_contract_percent_invalid", field=field, value=text[:40],
            values={"label_zh": message(ZH, f"projects.web.contract.{field}"),
                    "label_en": message("en", f"projects.web.contract.{field}")})
    return value / 100


def _shown_percent(value: Any) -> str:
    """A stored fraction as the form's percent text (0.7 → ``70``)."""
    return f"{round(float(value) * 100, 6):g}"


def contract_of(form: dict[str, str]) -> Contract:
    """The contract of the form's texts (dates ISO, shares in percent → fractions)."""
    dates = {f: form_date(form.get(f), f, required=f != "signed_on") for f in DATES}
    numbers: dict[str, Any] = {f: _percent(form.get(f, ""), f) if f in PERCENT
                               else _number(form.get(f, ""), f) for f in NUMBERS}
    texts: dict[str, Any] = {f: (form.get(f) or "").strip() or None for f in TEXTS}
    heating = form.get("heating_by_area", "")
    return Contract(
        term_start=dates["term_start"] or date.min, term_end=dates["term_end"] or date.min,
        base_start=dates["base_start"] or date.min, base_end=dates["base_end"] or date.min,
        signed_on=dates["signed_on"], heating_by_area=None if heating == "" else heating == "1",
        **numbers, **texts)


def _typed(c: dict[str, Any] | None) -> dict[str, str]:
    """The form's texts of the contract on file (empty when none)."""
    if not c:
        return {}
    out = {f: "" if c.get(f) is None else (_shown_percent(c[f]) if f in PERCENT else str(c[f]))
           for f in FIELDS}
    if c.get("heating_by_area") is not None:
        out["heating_by_area"] = "1" if c["heating_by_area"] else "0"
    return out


def _context(engine: Engine, user: User, code: str, lang: str) -> dict[str, Any]:
    p = get_project(engine, user, code)
    return {"project": p, "rule_sets": rule_sets(), "form": _typed(p.get("contract")),
            "errors": {}, "findings": None}


@router.get("/projects/{code}/contract", dependencies=NEEDS)
def contract_page(request: Request, user: CurrentUser, engine: EngineDep,
                  code: CodeP) -> Response:
    return render_page(request, TEMPLATE, _context(engine, user, code, _lang(request)))


@router.post("/projects/{code}/contract", dependencies=NEEDS)
def contract_save(
    request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
    term_start: Short = "", term_end: Short = "", base_start: Short = "", base_end: Short = "",
    signed_on: Short = "", number: Short = "", price_mode: Short = "",
    sharing_ratio: Short = "", guaranteed_rate: Short = "", guaranteed_tce: Short = "",
    fee_base_yuan: Short = "", ceiling_yuan: Short = "", carbon_rights: Short = "",
    heating_by_area: Short = "", rule_set: Short = "",
    om_scope: Annotated[str, Form(max_length=2000)] = "",
    asset_handover: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    lang = _lang(request)
    form = {"term_start": term_start, "term_end": term_end, "base_start": base_start,
            "base_end": base_end, "signed_on": signed_on, "number": number,
            "price_mode": price_mode, "sharing_ratio": sharing_ratio,
            "guaranteed_rate": guaranteed_rate, "guaranteed_tce": guaranteed_tce,
            "fee_base_yuan": fee_base_yuan, "ceiling_yuan": ceiling_yuan,
            "om_scope": om_scope, "carbon_rights": carbon_rights,
            "asset_handover": asset_handover, "heating_by_area": heating_by_area,
            "rule_set": rule_set}
    contract: Contract | None = None
    try:
        contract = contract_of(form)
        set_contract(engine, user, code, contract, rule_set=rule_set or None)
    except DomainError as err:
        context = _context(engine, user, code, lang)
        context["form"] = form
        if contract is not None and err.code == "project_contract_rule_failed":
            p = context["project"]
            _chosen, results = check_only(p["region_code"], p.get("subtype"), contract,
                                          rule_set or None)
            context["findings"] = _check([r.to_dict() for r in results], lang)
        return form_error(request, TEMPLATE, context, err)
    return RedirectResponse(f"/projects/{code}?done=contract_saved#contract",
                            status_code=303)


class ContractIn(BaseModel):
    term_start: date = Field(description="合同期开始（含）")
    term_end: date = Field(description="合同期结束（不含）")
    base_start: date = Field(description="基准期开始（含）")
    base_end: date = Field(description="基准期结束（不含）")
    number: str | None = Field(default=None, max_length=200)
    signed_on: date | None = None
    price_mode: str | None = Field(default=None, max_length=16,
                                   description="base_year | pass_through")
    sharing_ratio: float | None = Field(
        default=None, description="节能服务公司分享比例, a fraction 0–1 (70 % = 0.7)")
    guaranteed_rate: float | None = Field(
        default=None, description="保证节能率, a fraction 0–1 (10 % = 0.1)")
    guaranteed_tce: float | None = None
    fee_base_yuan: float | None = Field(default=None, description="元/年")
    ceiling_yuan: float | None = None
    om_scope: str | None = Field(default=None, max_length=2000)
    carbon_rights: str | None = Field(default=None, max_length=16,
                                      description="owner | esco | shared")
    asset_handover: str | None = Field(default=None, max_length=2000)
    heating_by_area: bool | None = None
    rule_set: str | None = Field(default=None, max_length=64)


class ContractOut(BaseModel):
    model_config = {"extra": "allow"}
    term_start: str | None = None
    term_end: str | None = None
    rule_set: str | None = None
    check_result: Any = None


def _save_json(body: ContractIn, user: User, engine: Engine, code: str) -> dict[str, Any]:
    contract = Contract(**body.model_dump(exclude={"rule_set"}))
    saved = set_contract(engine, user, code, contract, rule_set=body.rule_set)
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in saved.items()}


@api.put("/projects/{code}/contract", response_model=ContractOut, dependencies=NEEDS)
def contract_put_json(body: ContractIn, user: CurrentUser, engine: EngineDep,
                      code: CodeP) -> dict[str, Any]:
    """Enter or replace the project's contract: 422 with each broken rule (article,
    document, value, limit) in ``details``/the message; 404 outside the scope."""
    return _save_json(body, user, engine, code)


@api.post("/projects/{code}/contract", response_model=ContractOut, dependencies=NEEDS)
def contract_post_json(body: ContractIn, user: CurrentUser, engine: EngineDep,
                       code: CodeP) -> dict[str, Any]:
    """The same as ``PUT`` (for clients that only POST)."""
    return _save_json(body, user, engine, code)

