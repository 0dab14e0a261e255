"""The project page (issue 13 §5): ``/projects/{code}`` — its facts, the lifecycle
(state, the steps, the history, the buttons of the moves the caller's capabilities
allow), contract with the rule-set check, boundary (owners, accounts, meters),
measures, savings to date with the monthly baseline-vs-actual chart, statements,
settlement and non-routine adjustments (propose with evidence, approve). JSON twin
``/api/v1/projects/{code}``; a move ``POST /projects/{code}/move`` and its twin
``POST /api/v1/projects/{code}/moves``. A project outside the caller's scope is 404.
Services: :mod:`jieneng.services.projects.registry`, ``.lifecycle`` and the M&V
parts through :mod:`jieneng.web.projects.mv`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy import Engine, select
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as carrier_of
from jieneng.core.exceptions import DomainError
from jieneng.core.messages import text
from jieneng.core.mv.fit import METHODS
from jieneng.core.permissions import Capability
from jieneng.core.projects.lifecycle import State
from jieneng.core.rounding import format_number
from jieneng.reports.projects_document import STATEMENT_COLUMNS
from jieneng.services.projects.lifecycle import move_project
from jieneng.services.projects.registry import get_project
from jieneng.storage.tables import region
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import CodeP, is_final, label_of, list_row, state_label, steps
from jieneng.web.projects.mv import mv_parts
from jieneng.web.projects.schemas import MovedOut, MoveIn, ProjectDetail

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
TEMPLATE = "projects/detail.html"
#: the contract's fields in the order shown (dates in pairs)
#: what the forms of the contract, boundary and M&V actions report on the page
FORM_DONE = frozenset({"contract_saved", "boundary_added", "boundary_removed",
                       "baseline_fitted",
                       "statements_issued", "statement_computed", "settled",
                       "settlement_confirmed"})
CONTRACT_FIELDS = ("number", "signed_on", "term", "base", "price_mode", "sharing_ratio",
                   "guaranteed_rate", "guaranteed_tce", "fee_base_yuan", "ceiling_yuan",
                   "om_scope", "carbon_rights", "asset_handover")


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _contract_value(c: Mapping[str, Any], key: str, lang: str) -> str:
    if key in ("term", "base"):
        start, end = c.get(f"{key}_start"), c.get(f"{key}_end")
        return text(lang, "projects.web.to_date", start=start or "—", end=end or "—")
    value = c.get(key)
    if value is None or value == "":
        return "—"
    if key == "price_mode":
        return text(lang, f"projects.web.price_mode.{value}")
    if key == "carbon_rights":
        return text(lang, f"projects.web.carbon.{value}")
    if key in ("sharing_ratio", "guaranteed_rate"):
        return f"{format_number(float(value) * 100, 1, thousands=False)}%"
    if key in ("guaranteed_tce", "fee_base_yuan", "ceiling_yuan"):
        return format_number(float(value), 2)
    return str(value)


#: rules whose value and limit are shares (fractions stored, percent shown)
PERCENT_RULES = frozenset({"sharing_ratio", "intensity_cut"})


def _percent_text(limit: str) -> str:
    """A limit of fractions in percent (``0–1`` → ``0–100%``, ``≥ 0.1`` → ``≥ 10%``)."""
    return re.sub(r"\d+(?:\.\d+)?", lambda m: f"{float(m.group()) * 100:.4g}", limit) + "%"


def _check(results: Any, lang: str) -> dict[str, Any] | None:
    """The rule-set check stored with the contract (every rule's result): passed or
    not, the rule set, one line per rule (its text, article, document, the value
    entered and the limit)."""
    if not isinstance(results, list) or not results:
        return None
    lines = []
    for r in results:
        if not isinstance(r, Mapping):
            continue
        value = r.get("value")
        shown = "—" if value is None else (format_number(value, 2) if isinstance(
            value, float) and abs(value) >= 1000 else (f"{value:.4g}" if isinstance(
                value, float) else str(value)))
        if r.get("rule") in PERCENT_RULES:  # a share: shown in percent, as typed
            r = {**r, "limit": _percent_text(str(r.get("limit") or ""))}
            shown = "—" if not isinstance(value, (int, float)) else f"{value * 100:.4g}%"
        mark = "✓" if r.get("passed") else "✗"
        if lang == "en":
            lines.append(f"{mark} {r.get('text_en')} ({r.get('article')}, {r.get('document')};"
                         f" given {shown}, required {r.get('limit')})")
        else:
            lines.append(f"{mark} {r.get('text_zh')}（{r.get('article')}，{r.get('document')}；"
                         f"填写值 {shown}，要求 {r.get('limit')}）")
    failed = sum(1 for r in results if not (isinstance(r, Mapping) and r.get("passed")))
    return {"ok": failed == 0, "rules": failed or len(lines), "findings": lines}


def _contract(c: Mapping[str, Any] | None, lang: str) -> dict[str, Any] | None:
    if not c:
        return None
    return {"fields": [{"key": k, "label": text(lang, f"projects.web.contract.{k}"),
                        "value": _contract_value(c, k, lang)} for k in CONTRACT_FIELDS],
            "check": _check(c.get("check_result"), lang), "raw": dict(c)}


def _figures(p: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    out = []
    for key, label, unit, digits in (
            ("area_m2", "projects.web.area_figure", "m²", 0),
            ("pv_kwp", "projects.web.pv_figure", "kWp", 1),
            ("heat_pumps", "projects.web.heat_pump_figure", text(lang, "projects.web.units"),
             0)):
        if p.get(key) is not None:
            out.append({"label": text(lang, label), "value": p[key], "unit": unit,
                        "digits": digits})
    return out


def _lifecycle(user: User, p: Mapping[str, Any], lang: str) -> dict[str, Any]:
    events = p.get("events") or []
    history = [{"from_state": e.get("from"), "to_state": e["to"],
                "from_label": state_label(e.get("from"), lang) or None,
                "to_label": state_label(e["to"], lang),
                "actor": text(lang, "projects.web.cli") if e["actor"] == "cli" else e["actor"],
                "at": e["at"],
                "reason": e.get("reason")} for e in events]
    moves = [{"target": m["to"], "label": state_label(m["to"], lang),
              "capability": m["capability"],
              "needs_reason": m["to"] == State.TERMINATED.value or (
                  p["state"], m["to"]) == (State.APPROVAL.value, State.DECLARED.value)}
             for m in p.get("moves") or () if m.get("allowed")]
    return {"state": p["state"], "state_label": state_label(p["state"], lang),
            "final": is_final(p["state"]), "steps": steps(p["state"], history, lang),
            "moves": moves, "history": history}


def carrier_label(code: str | None, lang: str) -> str | None:
    """A carrier's name in the page's language (the code when unknown)."""
    if not code:
        return None
    try:
        found = carrier_of(code)
    except DomainError:
        return code
    return found.name_en if lang == "en" else found.names_zh[0]


def region_name(engine: Engine, code: str) -> str | None:
    with engine.connect() as conn:
        found = conn.execute(select(region.c.name).where(region.c.code == code)).scalar()
    return None if found is None else str(found)


def project_data(engine: Engine, user: User, code: str, lang: str) -> dict[str, Any]:
    """Everything the project page shows (the page and its twin call this)."""
    p = get_project(engine, user, code)
    project = {**list_row(p, lang), "region_name": region_name(engine, p["region_code"]),
               **{k: p.get(k) for k in (
        "esco_credit_code", "funding_source", "ipmvp_option", "description", "planned_start",
        "planned_end", "heat_pump_kw", "expected_yuan")},
        "option_label": label_of("ipmvp", p.get("ipmvp_option"), lang),
        "figures": _figures(p, lang)}
    boundary = [{**b, "kind_label": text(lang, f"projects.web.boundary.{b['kind']}"),
                 "credit_code": b.get("institution")} for b in p.get("boundary") or ()]
    measures = [{**m, "investment": None if m.get("investment_yuan") is None
                 else m["investment_yuan"] / 1e4,
                 "carrier_label": carrier_label(m.get("carrier"), lang)}
                for m in p.get("measures") or ()]
    return {"project": project, "lifecycle": _lifecycle(user, p, lang),
            "contract": _contract(p.get("contract"), lang), "boundary": boundary,
            "measures": measures, **mv_parts(engine, user, p, lang),
            "can_manage": user.can(Capability.MANAGE_PROJECTS),
            "can_approve": user.can(Capability.APPROVE_PROJECTS),
            "methods": METHODS}


def page_context(engine: Engine, user: User, code: str, lang: str) -> dict[str, Any]:
    """The page's context: its data, an empty form, no message."""
    data = project_data(engine, user, code, lang)
    data["statement_columns"] = STATEMENT_COLUMNS
    return {"data": data, "form": {}, "errors": {}, "message": None}


@router.get("/projects/{code}")
def project_page(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                 done: str = "", period: Annotated[str, Query(max_length=8)] = ""
                 ) -> Response:
    lang = _lang(request)
    context = page_context(engine, user, code, lang)
    if done == "moved":
        context["message"] = text(lang, "projects.web.moved",
                                  state=context["data"]["lifecycle"]["state_label"])
    elif done in ("registered", "adjustment_proposed", "adjustment_decided"):
        context["message"] = text(lang, f"projects.web.{done}")
    elif done in FORM_DONE:  # the forms of web.projects.contract / boundary / actions
        context["message"] = text(lang, f"projects.web.form.{done}", value=period)
    return render_page(request, TEMPLATE, context)


@router.post("/projects/{code}/move", dependencies=[requires(Capability.MANAGE_PROJECTS)])
def project_move(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                 target: Annotated[str, Form(max_length=16)],
                 reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        move_project(engine, user, code, target, reason=reason.strip() or None)
    except DomainError as err:
        context = page_context(engine, user, code, _lang(request))
        context["form"] = {"reason": reason, "target": target}
        return form_error(request, TEMPLATE, context, err, at="move")
    return RedirectResponse(f"/projects/{code}?done=moved#lifecycle", status_code=303)


@api.get("/projects/{code}", response_model=ProjectDetail)
def project_json(request: Request, user: CurrentUser, engine: EngineDep,
                 code: CodeP) -> dict[str, Any]:
    """A project (inside the caller's scope, else 404): facts, lifecycle with the moves
    the caller may make, contract and its check, boundary, measures, savings,
    statements, settlements, adjustments."""
    return project_data(engine, user, code, _lang(request))


@api.post("/projects/{code}/moves", response_model=MovedOut,
          dependencies=[requires(Capability.MANAGE_PROJECTS)])
def project_move_json(request: Request, body: MoveIn, user: CurrentUser, engine: EngineDep,
                      code: CodeP) -> dict[str, Any]:
    """Move the project to ``target`` (403 when the move needs a capability the caller
    lacks, 422 when the move is not open from the state or needs a reason)."""
    move_project(engine, user, code, body.target, reason=body.reason)
    state = get_project(engine, user, code)["state"]
    return {"code": code, "state": state, "state_label": state_label(state, _lang(request))}
