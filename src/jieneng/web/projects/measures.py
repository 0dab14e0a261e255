"""A project's measures (节能措施) after registration: the page
``/projects/{code}/measures`` lists them, each in a form to edit, with a form to add
one; its JSON twin ``GET /api/v1/projects/{code}/measures``, ``POST`` (add, 201) and
``PUT /api/v1/projects/{code}/measures/{id}`` (edit). The service
(:func:`jieneng.services.projects.registry.add_measure` / ``update_measure``) checks
the name, the carrier and the figures (not negative); a refusal shows the page again
with the message at the form that was sent and what was typed kept, under the status
the twin answers. Capability ``manage_projects``; the project in the caller's scope
(404 otherwise, from the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.core.projects.spec import MeasureSpec
from jieneng.services.projects.registry import add_measure, get_project, update_measure
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import CodeP
from jieneng.web.projects.contract import _number
from jieneng.web.projects.detail import carrier_label
from jieneng.web.projects.mv import CARRIERS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
TEMPLATE = "projects/measures.html"
NEEDS = [requires(Capability.MANAGE_PROJECTS)]
Short = Annotated[str, Form(max_length=200)]
IdP = Annotated[int, Path(ge=1, le=2**31 - 1, description="措施编号 measure id")]
FIGURES = ("investment_yuan", "expected_saving", "expected_tce", "expected_yuan")


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _typed(m: dict[str, Any]) -> dict[str, str]:
    """A stored measure as the texts of its form."""
    return {"name": m.get("name") or "", "carrier": m.get("carrier") or "",
            **{f: "" if m.get(f) is None else _plain(float(m[f])) for f in FIGURES}}


def _plain(value: float) -> str:
    """A figure as typed: no exponent, no trailing zeros (2600000, 14.7)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _context(engine: Engine, user: User, code: str, lang: str) -> dict[str, Any]:
    p = get_project(engine, user, code)
    measures = [{**m, "form": _typed(m), "carrier_label": carrier_label(m.get("carrier"), lang)}
                for m in p.get("measures") or ()]
    return {"project": p, "measures": measures,
            "carriers": [{"code": c, "label": carrier_label(c, lang)} for c in CARRIERS],
            "form": {}, "editing": None, "errors": {}}


def measure_of(form: dict[str, str]) -> MeasureSpec:
    """The measure of the form's texts (figures in 元, tce, the carrier's unit)."""
    numbers = {f: _number(form.get(f, ""), f) for f in FIGURES}
    return MeasureSpec(form.get("name", "").strip(), form.get("carrier", "").strip() or None,
                       **numbers)


@router.get("/projects/{code}/measures", dependencies=NEEDS)
def measures_page(request: Request, user: CurrentUser, engine: EngineDep,
                  code: CodeP, done: str = "") -> Response:
    context = _context(engine, user, code, _lang(request))
    if done in ("added", "saved"):
        context["done"] = done
    return render_page(request, TEMPLATE, context)


def _save(request: Request, user: User, engine: Engine, code: str, measure_id: int | None,
          form: dict[str, str]) -> Response:
    try:
        spec = measure_of(form)
        if measure_id is None:
            add_measure(engine, user, code, spec)
        else:
            update_measure(engine, user, code, measure_id, spec)
    except DomainError as err:
        context = _context(engine, user, code, _lang(request))
        context["editing"] = measure_id
        if measure_id is None:
            context["form"] = form
        else:
            for m in context["measures"]:
                if m["id"] == measure_id:
                    m["form"] = form
        at = "add" if measure_id is None else f"m{measure_id}"
        return form_error(request, TEMPLATE, context, err, at=at)
    done = "added" if measure_id is None else "saved"
    return RedirectResponse(f"/projects/{code}/measures?done={done}", status_code=303)


@router.post("/projects/{code}/measures", dependencies=NEEDS)
def measure_add(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                name: Short = "", carrier: Short = "", investment_yuan: Short = "",
                expected_saving: Short = "", expected_tce: Short = "",
                expected_yuan: Short = "") -> Response:
    form = {"name": name, "carrier": carrier, "investment_yuan": investment_yuan,
            "expected_saving": expected_saving, "expected_tce": expected_tce,
            "expected_yuan": expected_yuan}
    return _save(request, user, engine, code, None, form)


@router.post("/projects/{code}/measures/{measure_id}", dependencies=NEEDS)
def measure_edit(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                 measure_id: IdP, name: Short = "", carrier: Short = "",
                 investment_yuan: Short = "", expected_saving: Short = "",
                 expected_tce: Short = "", expected_yuan: Short = "") -> Response:
    form = {"name": name, "carrier": carrier, "investment_yuan": investment_yuan,
            "expected_saving": expected_saving, "expected_tce": expected_tce,
            "expected_yuan": expected_yuan}
    return _save(request, user, engine, code, measure_id, form)


# ---------------------------------------------------------------- JSON
class MeasureIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="措施名称")
    carrier: str | None = Field(default=None, max_length=32,
                                description="能源品种 (code or name), the carrier it saves")
    investment_yuan: float | None = Field(default=None, ge=0, description="投资 [元]")
    expected_saving: float | None = Field(
        default=None, ge=0, description="预计年节能量 [the carrier's canonical unit / year]")
    expected_tce: float | None = Field(default=None, ge=0, description="预计年节能量 [tce/年]")
    expected_yuan: float | None = Field(default=None, ge=0, description="预计年节约费用 [元/年]")


class MeasureOut(MeasureIn):
    id: int


class MeasuresOut(BaseModel):
    code: str
    measures: list[MeasureOut]


@api.get("/projects/{code}/measures", response_model=MeasuresOut, dependencies=NEEDS)
def measures_json(user: CurrentUser, engine: EngineDep, code: CodeP) -> dict[str, Any]:
    """The project's measures (the page's twin)."""
    p = get_project(engine, user, code)
    return {"code": p["code"], "measures": p.get("measures") or []}


@api.post("/projects/{code}/measures", status_code=201, response_model=MeasureOut,
          dependencies=NEEDS)
def measure_add_json(body: MeasureIn, user: CurrentUser, engine: EngineDep,
                     code: CodeP) -> dict[str, Any]:
    """Add a measure: 422 for a missing name, an unknown carrier or a negative figure,
    422 ``project_closed`` for a closed project, 404 outside the scope."""
    return add_measure(engine, user, code, MeasureSpec(**body.model_dump()))


@api.put("/projects/{code}/measures/{measure_id}", response_model=MeasureOut,
         dependencies=NEEDS)
def measure_edit_json(body: MeasureIn, user: CurrentUser, engine: EngineDep, code: CodeP,
                      measure_id: IdP) -> dict[str, Any]:
    """Replace a measure (404 ``project_measure_not_found`` for another project's)."""
    return update_measure(engine, user, code, measure_id, MeasureSpec(**body.model_dump()))
