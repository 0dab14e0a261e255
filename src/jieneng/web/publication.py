"""Administration of what the public big screen shows: publish or withdraw a year of a region.

Page ``/admin/publication`` (list, publish form, withdraw buttons; CSRF token in
every form) and its JSON twin under ``/api/v1/admin/publication`` (``GET`` the
list, ``POST`` publish, ``DELETE /{region}/{year}`` withdraw). Administrators
only; the rule and the audit trail are in :mod:`jieneng.services.publishing.publication`.

Nothing is published or withdrawn in one click: both buttons lead to the
confirmation page ``/admin/publication/confirm?region_code=…&year=…&action=…``
(twin ``/api/v1/admin/publication/confirm``), which shows what the big screen
will show — the headline figures, the units that reported, the 上报率 and 审核率
against the installation's thresholds — and only its own form (``confirm=1``)
acts. Below the thresholds the form asks for a reason (published anyway and
audited) and the refusal says why. The JSON twin publishes only with
``"confirm": true`` and withdraws only with ``?confirm=true``
(``publication.confirm_required`` otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.publishing import publication
from jieneng.settings import Settings
from jieneng.web.common import form_year, page
from jieneng.web.deps import AdminUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.figures import RegionRefOut
from jieneng.web.forms import WHOLE_FORM, form_error
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1/admin", tags=["publication"], responses=API_ERRORS)
PAGE = "/admin/publication"
TEMPLATE = "admin/publication.html"
CONFIRM = "admin/publication_confirm.html"
ACTIONS = ("publish", "withdraw")


def thresholds(settings: Settings) -> publication.Thresholds:
    """The installation's completeness thresholds for publishing."""
    return publication.Thresholds(reporting_rate=settings.publish_min_reporting_rate,
                                  review_rate=settings.publish_min_review_rate)


def confirm_data(engine: Engine, settings: Settings, *, region_code: str, year: int,
                 action: str = "publish") -> dict[str, Any]:
    """What the confirmation shows (the page and its twin): the readiness of the year."""
    ready = publication.readiness(engine, region_code, year, thresholds(settings),
                                  default_factor_set=settings.factor_set,
                                  publishing=action == "publish")
    return {**ready, "action": action}


def _context(engine: Engine, form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"items": publication.list_publications(engine), "form": form or {}, "errors": {}}


def _confirm_page(request: Request, engine: Engine, settings: Settings, *, region_code: str,
                  year: str, action: str, form: dict[str, str] | None = None,
                  err: DomainError | None = None) -> Response:
    """The confirmation page, with ``err`` beside its form; a region or year that cannot
    be shown at all answers with the list page and the refusal beside the field."""
    typed = {"region_code": region_code, "year": year, **(form or {})}
    try:
        data = confirm_data(engine, settings, region_code=region_code.strip(),
                            year=form_year(year), action=action)
    except DomainError as refused:
        return form_error(request, TEMPLATE, _context(engine, typed), refused)
    context = {"data": data, "form": typed, "errors": {}}
    if err is not None:
        return form_error(request, CONFIRM, context, err)
    return page(request, CONFIRM, context)


@router.get("/publication", dependencies=[requires(Capability.PUBLISH)])
def publication_page(request: Request, admin: AdminUser, engine: EngineDep) -> Response:
    return render(request, TEMPLATE, _context(engine))


ActionQ = Annotated[str, Query(pattern="^(publish|withdraw)$",
                               description="publish (default) or withdraw")]


@router.get("/publication/confirm", dependencies=[requires(Capability.PUBLISH)])
def confirm_page(
    request: Request, admin: AdminUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Query(max_length=6)],
    year: Annotated[str, Query(max_length=8)], action: ActionQ = "publish",
) -> Response:
    """What publishing (or withdrawing) the year makes public, with the only form that acts."""
    return _confirm_page(request, engine, settings, region_code=region_code, year=year,
                         action=action)


@router.post("/publication", dependencies=[requires(Capability.PUBLISH)])
def publish_form(
    request: Request, admin: AdminUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
    confirm: Annotated[str, Form(max_length=5)] = "",
    override_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Publish a year of a region (and its subtree) once confirmed; audited. Without
    ``confirm`` the confirmation page answers."""
    form = {"region_code": region_code, "year": year, "override_reason": override_reason}
    if not confirm:
        return _confirm_page(request, engine, settings, region_code=region_code, year=year,
                             action="publish", form=form)
    try:
        publication.publish(engine, actor=admin.actor, region_code=region_code.strip(),
                            year=form_year(year), thresholds=thresholds(settings),
                            override_reason=override_reason)
    except DomainError as err:
        return _confirm_page(request, engine, settings, region_code=region_code, year=year,
                             action="publish", form=form, err=err)
    return RedirectResponse(PAGE, status_code=303)


@router.post("/publication/withdraw", dependencies=[requires(Capability.PUBLISH)])
def withdraw_form(
    request: Request, admin: AdminUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Withdraw a published year of a region once confirmed; audited."""
    if not confirm:
        return _confirm_page(request, engine, settings, region_code=region_code, year=year,
                             action="withdraw")
    try:
        publication.withdraw(engine, actor=admin.actor, region_code=region_code.strip(),
                             year=form_year(year))
    except DomainError as err:  # a button: the message above the list
        return form_error(request, TEMPLATE, _context(engine), err, at=WHOLE_FORM)
    return RedirectResponse(PAGE, status_code=303)


# ---------------------------------------------------------------- JSON twin
RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="行政区划代码")]
YearPath = Annotated[int, Path(ge=publication.MIN_YEAR, le=publication.MAX_YEAR,
                               description="年度 year")]


class PublicationOut(BaseModel):
    region_code: str
    region_name: str
    level: int | None
    year: int
    published_by: str | None
    published_at: str | None = Field(description="ISO-8601, UTC")
    override_reason: str | None = Field(
        default=None, description="why an incomplete year was published anyway")


class PublicationsOut(BaseModel):
    items: list[PublicationOut]


class PublicationIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$", description="行政区划代码; covers its subtree")
    year: int = Field(ge=publication.MIN_YEAR, le=publication.MAX_YEAR,
                      description="年度; must hold figures for the region")
    confirm: bool = Field(default=False, description="must be true: the caller has seen "
                          "GET /api/v1/admin/publication/confirm")
    override_reason: str | None = Field(
        default=None, max_length=publication.MAX_REASON,
        description="publish a year below the completeness thresholds anyway, and why "
                    "(audited)")


class ReadyFiguresOut(BaseModel):
    energy_tce: float | None
    water_m3: float | None
    co2_t: float | None
    institutions_expected: int | None
    institutions_reported: int | None


class TaskCountsOut(BaseModel):
    expected: int = Field(description="the year's tasks due by ``as_of``")
    reported: int
    approved: int
    not_due: int = Field(default=0, description="the year's tasks not yet due: in no rate")
    as_of: str | None = None


class RatesOut(BaseModel):
    reporting_rate: float
    review_rate: float


class ReadinessOut(BaseModel):
    """What publishing the year makes public and whether it is complete enough."""

    region: RegionRefOut
    year: int
    action: str = Field(description="publish or withdraw")
    published: bool = Field(description="this (region, year) is already published")
    covered_by: list[str] = Field(description="regions above that already publish the year")
    previous_year_published: bool = Field(description="同比 is shown on the screen")
    figures: ReadyFiguresOut
    tasks: TaskCountsOut = Field(description="the year's reporting tasks in the subtree")
    reporting_rate: float | None = Field(description="上报率 = reported ÷ expected tasks")
    review_rate: float | None = Field(description="审核率 = approved ÷ expected tasks")
    thresholds: RatesOut
    shortfalls: list[str] = Field(description="the rates below their threshold")
    complete: bool


def _require_confirm(confirm: bool) -> None:
    if not confirm:
        raise ValidationFailed.of("publication.confirm_required", field="confirm")


@api.get("/publication", response_model=PublicationsOut,
                dependencies=[requires(Capability.PUBLISH)])
def list_publications(admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Every published (region, year), who published it and when (administrators)."""
    return {"items": publication.list_publications(engine)}


@api.get("/publication/confirm", response_model=ReadinessOut,
         dependencies=[requires(Capability.PUBLISH)])
def confirm_api(
    admin: AdminUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    year: Annotated[int, Query(ge=publication.MIN_YEAR, le=publication.MAX_YEAR)],
    action: ActionQ = "publish",
) -> dict[str, Any]:
    """What publishing the year would make public (figures, units, 上报率 and 审核率
    against the thresholds) — read it before ``POST`` with ``confirm: true``."""
    return confirm_data(engine, settings, region_code=region_code, year=year, action=action)


@api.post("/publication",
                 dependencies=[requires(Capability.PUBLISH)], response_model=PublicationOut)
def post_publication(body: PublicationIn, admin: AdminUser, engine: EngineDep,
                     settings: SettingsDep) -> dict[str, Any]:
    """Publish a year of a region and its subtree on the public big screen (administrators;
    ``confirm: true`` required; below the completeness thresholds only with an
    ``override_reason``; audited; publishing it again changes nothing)."""
    if not body.confirm:  # the region and the year are refused first, as on the page
        confirm_data(engine, settings, region_code=body.region_code, year=body.year)
        _require_confirm(body.confirm)
    return publication.publish(engine, actor=admin.actor, region_code=body.region_code,
                               year=body.year, thresholds=thresholds(settings),
                               override_reason=body.override_reason)


@api.delete("/publication/{region}/{year}",
                   dependencies=[requires(Capability.PUBLISH)], status_code=204)
def delete_publication(
    region: RegionPath, year: YearPath, admin: AdminUser, engine: EngineDep,
    confirm: Annotated[bool, Query(description="must be true")] = False,
) -> Response:
    """Withdraw a published year of a region (administrators; ``?confirm=true``; audited)."""
    _require_confirm(confirm)
    publication.withdraw(engine, actor=admin.actor, region_code=region, year=year)
    return Response(status_code=204)
